import { initRepo } from "../../local/repo/init-repo.js";
import { NPX } from "../../package-info.js";
import { defineCommand } from "../io.js";

export const initCommand = defineCommand({
  name: "init",
  summary:
    "write .github/conveyor.yml, empty tracking files and CHANGELOG.md (--github: the workflow templates too)",
  usage: "conveyor init [--github]",
  options: {
    github: { type: "boolean", description: "also write the GitHub workflow templates" },
  },
  async run({ values }, io) {
    const github = values.github === true;
    const r = await initRepo(io.cwd, { github });
    if (r instanceof Error) {
      io.stderr.write(`conveyor init: ${r.message}\n`);
      return 2;
    }
    for (const p of r.written) io.stdout.write(`wrote ${p}\n`);
    for (const p of r.kept) io.stdout.write(`kept  ${p} (already there)\n`);
    for (const p of r.missing) io.stderr.write(`missing template ${p} in this installation\n`);
    const run =
      r.runner === "command"
        ? `  3. Run it:  ${NPX} run   (the agents run agent.command from .github/conveyor.yml)`
        : `  3. Run it:  export ANTHROPIC_API_KEY=…  &&  ${NPX} run\n     (or set agent: { runner: command, command: "…" } in .github/conveyor.yml)`;
    io.stdout.write(
      [
        "",
        "Next:",
        "  1. Add tasks to TODO.md, one list item each:  - [high] Title  (then indented details)",
        "  2. Commit: git add -A && git commit -m 'Conveyor setup'",
        run,
        github
          ? "  4. On GitHub: add the ANTHROPIC_API_KEY secret; the workflows in .github/workflows run it."
          : `  On GitHub instead: ${NPX} init --github writes the workflow templates.`,
        "",
      ].join("\n"),
    );
    return r.missing.length > 0 ? 1 : 0;
  },
});

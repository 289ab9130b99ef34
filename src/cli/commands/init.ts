import { parseArgs } from "node:util";
import { initRepo } from "../../local/init-repo.js";
import type { Command } from "../io.js";

export const initCommand: Command = {
  name: "init",
  summary:
    "write .github/conveyor.yml, empty tracking files and CHANGELOG.md (--github: the workflow templates too)",
  usage: "conveyor init [--github]",
  async run(args, io) {
    const { values } = parseArgs({
      args,
      options: { github: { type: "boolean", default: false } },
      strict: true,
    });
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
        ? "  3. Run it:  npx conveyor run   (the agents run agent.command from .github/conveyor.yml)"
        : '  3. Run it:  export ANTHROPIC_API_KEY=…  &&  npx conveyor run\n     (or set agent: { runner: command, command: "…" } in .github/conveyor.yml)';
    io.stdout.write(
      [
        "",
        "Next:",
        "  1. Add tasks to TODO.md, one list item each:  - [high] Title  (then indented details)",
        "  2. Commit: git add -A && git commit -m 'Conveyor setup'",
        run,
        github
          ? "  4. On GitHub: add the ANTHROPIC_API_KEY secret; the workflows in .github/workflows run it."
          : "  On GitHub instead: npx conveyor init --github writes the workflow templates.",
        "",
      ].join("\n"),
    );
    return r.missing.length > 0 ? 1 : 0;
  },
};

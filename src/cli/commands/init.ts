import { initRepo } from "../../local/init-repo.js";
import { NPX } from "../../package-info.js";
import { defineCommand } from "../io.js";

export const initCommand = defineCommand({
  name: "init",
  summary: "write .github/conveyor.yml, empty tracking files and the workflow templates",
  usage: "conveyor init",
  options: {},
  async run(_args, io) {
    const r = await initRepo(io.cwd);
    if (r instanceof Error) {
      io.stderr.write(`conveyor init: ${r.message}\n`);
      return 2;
    }
    for (const p of r.written) io.stdout.write(`wrote ${p}\n`);
    for (const p of r.kept) io.stdout.write(`kept  ${p} (already there)\n`);
    for (const p of r.missing) io.stderr.write(`missing template ${p} in this installation\n`);
    io.stdout.write(
      [
        "",
        "Next:",
        "  1. Add tasks to TODO.md, one list item each:  - [high] Title  (then indented details)",
        "  2. Commit: git add -A && git commit -m 'Conveyor setup'",
        `  3. Local mode:  export ANTHROPIC_API_KEY=…  &&  ${NPX} run`,
        "     On GitHub: add the ANTHROPIC_API_KEY secret; the workflows in .github/workflows run it.",
        "",
      ].join("\n"),
    );
    return r.missing.length > 0 ? 1 : 0;
  },
});

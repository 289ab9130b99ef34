import { execFile } from "node:child_process";
import { parseDocument } from "yaml";

/**
 * A cheap syntax check of a file the agent just wrote, as SWE-agent's linting editor does:
 * its errors go into the tool result so the agent fixes them at once. JSON and YAML are
 * parsed here; JavaScript with `node --check`; TypeScript with the TypeScript parser when
 * the package is installed (it is not bundled: too large); Python with `ast.parse` when
 * python3 exists (no bytecode is written). Nothing is executed. Undefined: no problem found
 * (or no cheap check for this kind of file).
 */
export async function syntaxCheck(
  absolute: string,
  relative: string,
  text: string,
): Promise<string | undefined> {
  const ext = /\.([A-Za-z0-9]+)$/.exec(relative)?.[1]?.toLowerCase() ?? "";
  try {
    if (ext === "json" && !/(^|\/)tsconfig[^/]*\.json$|\.jsonc$/.test(relative)) {
      try {
        JSON.parse(text);
      } catch (e: unknown) {
        return `invalid JSON: ${e instanceof Error ? e.message : String(e)}`;
      }
      return undefined;
    }
    if (ext === "yml" || ext === "yaml") {
      const doc = parseDocument(text, { prettyErrors: true });
      const first = doc.errors[0];
      return first ? `invalid YAML: ${first.message.split("\n")[0]}` : undefined;
    }
    if (ext === "js" || ext === "mjs" || ext === "cjs") {
      let r = await run(process.execPath, ["--check", absolute]);
      // Node 20 lets an ES module with a syntax error pass `--check` of a .js file: check
      // module-looking code as a module too.
      if (r.code === 0 && ext === "js" && /^\s*(import|export)\b/m.test(text))
        r = await run(process.execPath, ["--input-type=module", "--check"], text);
      return r.code === 0
        ? undefined
        : `syntax error: ${firstLines(r.stderr.replaceAll("[stdin]", relative), absolute, relative)}`;
    }
    if (ext === "ts" || ext === "tsx" || ext === "mts" || ext === "cts")
      return await tsCheck(relative, text);
    if (ext === "py") {
      const r = await run("python3", [
        "-c",
        "import ast, sys\nsrc = open(sys.argv[1], encoding='utf-8').read()\nast.parse(src, sys.argv[2])",
        absolute,
        relative,
      ]);
      if (r.code === 0 || r.missing) return undefined;
      return `syntax error: ${r.stderr.trim().split("\n").slice(-4).join("\n")}`;
    }
  } catch {
    return undefined;
  }
  return undefined;
}

type TsModule = {
  createSourceFile: (
    n: string,
    t: string,
    v: number,
    s: boolean,
    k: number,
  ) => {
    parseDiagnostics?: { start?: number; messageText: unknown }[];
    getLineAndCharacterOfPosition(p: number): { line: number; character: number };
  };
  ScriptTarget: { Latest: number };
  ScriptKind: { TS: number; TSX: number };
};

let tsModule: Promise<TsModule | undefined> | undefined;

async function tsCheck(relative: string, text: string): Promise<string | undefined> {
  // A computed specifier: the bundle leaves TypeScript out and loads it only if installed.
  const name = "typescript";
  tsModule ??= import(name).then(
    (m: { default?: TsModule }) => m.default ?? (m as unknown as TsModule),
    () => undefined,
  );
  const ts = await tsModule;
  if (!ts) return undefined;
  const kind = relative.endsWith("x") ? ts.ScriptKind.TSX : ts.ScriptKind.TS;
  const file = ts.createSourceFile(relative, text, ts.ScriptTarget.Latest, true, kind);
  const diags = file.parseDiagnostics ?? [];
  if (diags.length === 0) return undefined;
  return `syntax errors:\n${diags
    .slice(0, 5)
    .map((d) => {
      const at = file.getLineAndCharacterOfPosition(d.start ?? 0);
      const msg = typeof d.messageText === "string" ? d.messageText : JSON.stringify(d.messageText);
      return `${relative}:${at.line + 1}:${at.character + 1}: ${msg}`;
    })
    .join("\n")}`;
}

function firstLines(stderr: string, absolute: string, relative: string): string {
  return stderr.replaceAll(absolute, relative).trim().split("\n").slice(0, 5).join("\n");
}

function run(
  file: string,
  args: string[],
  input?: string,
): Promise<{ code: number; stderr: string; missing: boolean }> {
  return new Promise((resolve) => {
    const child = execFile(
      file,
      args,
      { timeout: 10_000, env: { PATH: process.env.PATH ?? "/usr/bin:/bin" } },
      (error, _out, stderr) => {
        const code = error === null ? 0 : typeof error.code === "number" ? error.code : 1;
        resolve({ code, stderr: String(stderr), missing: error?.code === "ENOENT" });
      },
    );
    child.stdin?.on("error", () => {});
    child.stdin?.end(input ?? "");
  });
}

/** The tool result's line about the check, or "". */
export async function syntaxNote(
  absolute: string,
  relative: string,
  text: string,
): Promise<string> {
  const problem = await syntaxCheck(absolute, relative, text);
  return problem ? `\n\nThe file now has a problem; fix it:\n${problem}` : "";
}

import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

// The published package as a user gets it: `npm pack` of this checkout (the committed
// dist/), installed from the tarball into an empty folder with an empty cache and
// `--offline`, so that any dependency the package still asked for would fail the install.
// Needs dist/ built from the current sources (`npm run build`).

const run = promisify(execFile);
const root = resolve(import.meta.dirname, "../..");
const manifest = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as {
  name: string;
  version: string;
  dependencies?: Record<string, string>;
};

/** The environment without npm's own `npm_*` settings (vitest may run under `npm test`). */
function cleanEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env))
    if (!/^npm_/i.test(k) && k !== "INIT_CWD") env[k] = v;
  return { ...env, NO_COLOR: "1", ...extra };
}

let tmp: string;
let app: string;
let bin: string;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), "conveyor-pack-"));
  app = join(tmp, "app");
  mkdirSync(app);
  env = cleanEnv({ npm_config_cache: join(tmp, "cache"), npm_config_update_notifier: "false" });
  const packed = await run("npm", ["pack", "--json", "--pack-destination", tmp], {
    cwd: root,
    env,
  });
  const [info] = JSON.parse(packed.stdout) as { filename: string }[];
  if (!info) throw new Error(`npm pack printed no file: ${packed.stdout}`);
  await run(
    "npm",
    [
      "install",
      "--offline",
      "--no-audit",
      "--no-fund",
      "--ignore-scripts",
      join(tmp, info.filename),
    ],
    { cwd: app, env },
  );
  bin = join(app, "node_modules", ".bin", "conveyor");
}, 120_000);

afterAll(() => {
  if (tmp) rmSync(tmp, { recursive: true, force: true });
});

describe("the npm package", () => {
  it("is publishable under a scoped name and depends on nothing at runtime", () => {
    expect(manifest.name).toBe("@conveyor-dev/conveyor");
    expect((manifest as { private?: boolean }).private).toBeUndefined();
    expect(manifest.dependencies ?? {}).toEqual({});
    // The offline install brought in Conveyor alone.
    const installed = readdirSync(join(app, "node_modules")).filter((n) => !n.startsWith("."));
    expect(installed).toEqual(["@conveyor-dev"]);
    expect(readdirSync(join(app, "node_modules", "@conveyor-dev"))).toEqual(["conveyor"]);
  });

  it("ships source maps, the licences of what it bundles, the schema and the templates", () => {
    const pkg = join(app, "node_modules", "@conveyor-dev", "conveyor");
    const dist = readdirSync(join(pkg, "dist"));
    for (const f of ["cli.js", "index.js", "app.js"]) {
      expect(dist).toContain(f);
      expect(dist).toContain(`${f}.map`);
      expect(readFileSync(join(pkg, "dist", f), "utf8")).toContain(`sourceMappingURL=${f}.map`);
    }
    const licences = readFileSync(join(pkg, "dist", "THIRD_PARTY_LICENSES.txt"), "utf8");
    for (const name of ["@anthropic-ai/sdk", "yaml", "zod", "probot", "@octokit/core"])
      expect(licences).toMatch(new RegExp(`^${name.replace("/", "\\/")} \\d`, "m"));
    for (const f of [
      "LICENSE",
      "schema/conveyor.schema.json",
      "templates/conveyor.yml",
      ".github/workflows/conveyor.yml",
      ".github/workflows/conveyor-agent.yml",
      "action.yml",
    ])
      expect(() => readFileSync(join(pkg, f))).not.toThrow();
  });

  it("runs `conveyor --version` from the installed bundle", async () => {
    const r = await run(bin, ["--version"], { cwd: app, env });
    expect(r.stdout.trim()).toBe(manifest.version);
  });

  it("runs the demo from the installed bundle", async () => {
    const dir = join(tmp, "demo");
    const r = await run(bin, ["demo", "--dir", dir, "--plain"], {
      cwd: app,
      env,
      maxBuffer: 16 * 1024 * 1024,
    });
    expect(r.stdout).toMatch(/5 of 6 tasks merged/);
    expect(r.stdout).toContain(`npx ${manifest.name} run`);
    expect(readdirSync(dir)).toContain("CHANGELOG.md");
  }, 180_000);
});

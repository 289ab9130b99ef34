import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { afterAll, describe, expect, it } from "vitest";
import { commands } from "../../src/cli/commands.js";
import { runCli } from "../../src/cli/run-cli.js";

// The one argument layer every command goes through: help, version, usage errors.

const root = new URL("../..", import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), "conveyor-args-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function cli(
  argv: string[],
  opts: { env?: NodeJS.ProcessEnv; tty?: boolean; cwd?: string } = {},
) {
  const stdout = new PassThrough();
  const stderr = Object.assign(new PassThrough(), { isTTY: opts.tty === true });
  let out = "";
  let err = "";
  stdout.on("data", (c) => (out += c));
  stderr.on("data", (c) => (err += c));
  const code = await runCli(argv, {
    stdout,
    stderr,
    cwd: opts.cwd ?? dir,
    env: opts.env ?? { NO_COLOR: "1" },
  });
  return { code, out, err };
}

const STACK = /^\s+at /m;
const listed = commands.filter((c) => c.name !== "agent");

describe("conveyor --version and help", () => {
  it("prints the version of package.json", async () => {
    const version = (
      JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as { version: string }
    ).version;
    for (const flag of ["--version", "-v"]) {
      const r = await cli([flag]);
      expect(r).toEqual({ code: 0, out: `${version}\n`, err: "" });
    }
  });

  it("lists every command, and how to get each one's options", async () => {
    const r = await cli(["--help"]);
    expect(r.code).toBe(0);
    for (const c of listed) expect(r.out).toMatch(new RegExp(`^  ${c.name}\\s`, "m"));
    expect(r.out).not.toMatch(/^ {2}agent\s/m); // internal
    expect(r.out).toContain("conveyor <command> --help");
    expect(r.out).toContain("npx @conveyor-dev/conveyor");
  });

  it.each(listed.map((c) => c.name))(
    "`conveyor %s --help` prints its usage and options",
    async (name) => {
      const command = commands.find((c) => c.name === name);
      if (!command) throw new Error(name);
      for (const argv of [
        [name, "--help"],
        [name, "-h"],
        ["help", name],
      ]) {
        const r = await cli(argv);
        expect(r.err).toBe("");
        expect(r.code).toBe(0);
        expect(r.out.startsWith(`usage: ${command.usage}\n`)).toBe(true);
        for (const option of Object.keys(command.options)) expect(r.out).toContain(`--${option}`);
        expect(r.out).toContain("-h, --help");
      }
    },
  );

  it("`conveyor plan --help` explains --board rather than demanding it", async () => {
    const r = await cli(["plan", "--help"]);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/--board <file>\s+the board snapshot/);
    expect(r.out).toMatch(/--now <ISO-time>/);
  });
});

describe("usage errors: stderr, exit 2, never a stack trace", () => {
  it.each(listed.map((c) => c.name))("`conveyor %s --bogus` is a usage error", async (name) => {
    const r = await cli([name, "--bogus"]);
    expect(r.code).toBe(2);
    expect(r.out).toBe("");
    expect(r.err).toContain(`conveyor ${name}: unknown option '--bogus'`);
    expect(r.err).toContain("usage: conveyor");
    expect(r.err).not.toMatch(STACK);
  });

  it.each([
    [["plan", "--board"], /--board needs a value \(file\)/],
    [["plan", "--board", "--json"], /--board needs a value \(file\)/],
    [["demo", "--dir"], /--dir needs a value/],
    [["run", "--interval"], /--interval needs a value \(seconds\)/],
    [["abandon", "T1", "--reason"], /--reason needs a value/],
    [["run", "--plain=yes"], /--plain takes no value/],
    [["status", "extra"], /takes no arguments, got 'extra'/],
    [["init", "now"], /takes no arguments/],
    [["plan", "board.json"], /takes no arguments/],
    [["retry", "T1", "T2"], /unexpected extra argument 'T2'/],
    [["retry"], /missing <task-id>/],
    [["abandon", "--reason", "x"], /missing <task-id>/],
    [["plan", "--bord", "b.json"], /unknown option '--bord' \(did you mean --board\?\)/],
  ])("%j", async (argv, message) => {
    const r = await cli(argv);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(message);
    expect(r.err).not.toMatch(STACK);
    expect(r.out).toBe("");
  });

  it("an unknown command or top-level option is a usage error too", async () => {
    for (const argv of [["frobnicate"], ["--bogus"], ["help", "frobnicate"]]) {
      const r = await cli(argv);
      expect(r.code).toBe(2);
      expect(r.err).toMatch(/conveyor: unknown (command|option)/);
    }
    const none = await cli([]);
    expect(none.code).toBe(2);
    expect(none.err).toContain("usage: conveyor <command>");
  });

  it("`--` ends the options: what follows is an argument, not a help request", async () => {
    const r = await cli(["retry", "--", "--help"], { cwd: dir });
    expect(r.out).not.toContain("usage:");
    expect(r.code).not.toBe(0);
  });
});

describe("colour", () => {
  it("colours the error prefix on a terminal", async () => {
    const r = await cli(["status", "--bogus"], { env: {}, tty: true });
    expect(r.err).toContain("\u001b[");
    expect(r.err).toContain("unknown option '--bogus'");
  });

  it("never with NO_COLOR, TERM=dumb or when stderr is not a terminal", async () => {
    for (const [env, tty] of [
      [{ NO_COLOR: "1" }, true],
      [{ TERM: "dumb" }, true],
      [{}, false],
    ] as const) {
      const r = await cli(["status", "--bogus"], { env, tty });
      expect(r.err).not.toContain("\u001b[");
    }
  });

  it("FORCE_COLOR turns it on without a terminal", async () => {
    const r = await cli(["status", "--bogus"], { env: { FORCE_COLOR: "1" }, tty: false });
    expect(r.err).toContain("\u001b[");
  });
});

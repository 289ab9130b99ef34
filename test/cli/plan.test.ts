import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { afterAll, describe, expect, it } from "vitest";
import { runCli } from "../../src/cli/run-cli.js";

const root = new URL("../..", import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), "conveyor-plan-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function cli(...argv: string[]) {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = "";
  let err = "";
  stdout.on("data", (c) => (out += c));
  stderr.on("data", (c) => (err += c));
  const code = await runCli(argv, { stdout, stderr, cwd: root, env: {} });
  return { code, out, err };
}

describe("conveyor plan", () => {
  it("prints the effects in order and why each waiting task waits", async () => {
    const r = await cli(
      "plan",
      "--board",
      "examples/board.json",
      "--config",
      "examples/conveyor.yml",
      "--now",
      "2026-11-25T10:00:00Z",
    );
    expect(r.err).toBe("");
    expect(r.code).toBe(0);
    expect(r.out).toContain("#12: todo -> in-progress (picked up: an agent slot is free)");
    expect(r.out).toContain("#8: cancel run 9123456 (over its 10 min timeout)");
    expect(r.out).toContain("merge #5 (PR 27 @ d00dfee) by merge");
    expect(r.out).toMatch(/#14\s+waits for #12: both touch src\/cart.ts/);
    expect(r.out).toMatch(/#6\s+escalated: the tests failed: migrations time out/);
  });

  it("prints JSON for machines", async () => {
    const r = await cli(
      "plan",
      "--board",
      "examples/board.json",
      "--now",
      "2026-11-25T10:00:00Z",
      "--json",
    );
    expect(r.code).toBe(0);
    const p = JSON.parse(r.out) as {
      effects: { type: string }[];
      waiting: unknown[];
      slots: unknown;
    };
    expect(p.effects.some((e) => e.type === "dispatch")).toBe(true);
    expect(p.slots).toEqual({ used: 5, capacity: 6 }); // #8: its cancelled run; the retry waits for it
  });

  it.each([
    [[], "--board is required"],
    [["--board", "nope.json"], "cannot read the board file"],
    [["--board", "examples/board.json", "--now", "yesterday"], "is not a date"],
    [["--board", "examples/board.json", "--frobnicate"], "unknown option '--frobnicate'"],
  ])("explains a usage mistake: %j", async (args, message) => {
    const r = await cli("plan", ...args);
    expect(r.code).toBe(2);
    expect(r.err).toContain(message);
    expect(r.err).toContain("usage: conveyor plan");
  });

  it("names the bad fields of a board and a config", async () => {
    const bad = join(dir, "bad.json");
    writeFileSync(
      bad,
      JSON.stringify({ tasks: [{ id: "1", stage: "limbo" }, { title: "no id" }] }),
    );
    const r = await cli("plan", "--board", bad);
    expect(r.code).toBe(2);
    expect(r.err).toContain("tasks.0.stage");
    expect(r.err).toContain("tasks.1.id");
    const cfg = join(dir, "bad.yml");
    writeFileSync(cfg, "capacity:\n  agents: -1\n");
    const c = await cli("plan", "--board", "examples/board.json", "--config", cfg);
    expect(c.code).toBe(2);
    expect(c.err).toContain("`capacity.agents`");
  });

  it("plans with a config that works against itself, and says why on stderr", async () => {
    const cfg = join(dir, "low-in-flight.yml");
    writeFileSync(cfg, "capacity:\n  agents: 8\n  inFlight: 2\n");
    const r = await cli("plan", "--board", "examples/board.json", "--config", cfg);
    expect(r.code).toBe(0);
    expect(r.err).toContain("warning");
    expect(r.err).toContain("`capacity.inFlight`: 2 is below capacity.agents (8)");
  });

  it("lists the commands and refuses unknown ones", async () => {
    expect((await cli("help")).out).toContain("plan");
    const r = await cli("frobnicate");
    expect(r.code).toBe(2);
    expect(r.err).toContain("unknown command 'frobnicate'");
  });
});

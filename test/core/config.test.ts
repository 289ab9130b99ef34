import { describe, expect, it } from "vitest";
import {
  defaultConfig,
  formatConfigErrors,
  formatConfigWarnings,
  modelFor,
  parseConfig,
} from "../../src/core/config.js";

describe("parseConfig", () => {
  it("an empty file is the workflow table's defaults", () => {
    const r = parseConfig("");
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    const c = r.config;
    expect(c.capacity).toEqual({ agents: 6, inFlight: 6 });
    expect([
      c.roles.task.timeoutMinutes,
      c.roles.reviewer.timeoutMinutes,
      c.roles.tester.timeoutMinutes,
    ]).toEqual([15, 10, 15]);
    expect(c.retries).toBe(1);
    expect(c.merge.method).toBe("merge");
    expect(c.merge.batchDisjoint).toBe(true);
    expect(c.labels.todo).toBe("conveyor:todo");
    expect(c.labels.mergeQueue).toBe("merge-queue");
    expect(c.guards.maxRunsPerTask).toBe(15);
    expect(c.guards.exclusiveLocations).toBe(true);
    expect(c.agent.runner).toBe("builtin");
    expect(c).toEqual(defaultConfig());
  });

  it("keeps what the file sets and defaults the rest", () => {
    const r = parseConfig(
      "capacity:\n  agents: 3\nroles:\n  reviewer:\n    model: claude-haiku-5-5\n",
    );
    expect(r.ok && r.config.capacity).toEqual({ agents: 3, inFlight: 3 });
    expect(r.ok && modelFor(r.config, "reviewer", 0)).toBe("claude-haiku-5-5");
    expect(r.ok && modelFor(r.config, "task", 0)).toBe(defaultConfig().agent.model);
  });

  it("uses the retry model on a retry only", () => {
    const r = parseConfig("roles:\n  task:\n    retryModel: claude-opus-5-5\n");
    expect(r.ok && modelFor(r.config, "task", 0)).toBe(defaultConfig().agent.model);
    expect(r.ok && modelFor(r.config, "task", 1)).toBe("claude-opus-5-5");
  });

  it.each([
    ["capacity:\n  agents: 0\n", "capacity.agents", "Too small"],
    ["capacity:\n  agents: six\n", "capacity.agents", "expected number"],
    ["merge:\n  method: octopus\n", "merge.method", '"merge"'],
    ["agent:\n  runner: command\n", "agent.command", "required"],
    ["agent:\n  modle: x\n", "agent.modle", "allowed: runner, preset, command, args"],
    ["preflight:\n  http:\n    - url: not a url\n", "preflight.http.0.url", "URL"],
    ["tests:\n  rules:\n    - glob: '*.ts'\n", "tests.rules.0.command", ""],
  ])("reports the path of a bad key: %j", (text, path, message) => {
    const r = parseConfig(text);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    const hit = r.errors.find((e) => e.path === path);
    expect(hit, JSON.stringify(r.errors)).toBeDefined();
    expect(hit?.message).toContain(message);
  });

  it.each([
    ["a: [", "not valid YAML"],
    ["- 1\n- 2\n", "must be a YAML mapping"],
    ["a: 1\na: 2\n", "not valid YAML"],
    ["just text", "must be a YAML mapping"],
  ])("never throws on bad input: %j", (text, message) => {
    const r = parseConfig(text);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(formatConfigErrors(r.errors)).toContain(message);
  });
});

describe("capacity.inFlight follows capacity.agents", () => {
  it("defaults to the number of agents, so more agents are not held back by tasks in flight", () => {
    const r = parseConfig("capacity:\n  agents: 12\n");
    expect(r.ok && r.config.capacity).toEqual({ agents: 12, inFlight: 12 });
    expect(r.ok && r.warnings).toEqual([]);
  });

  it("set below the agents, it is kept and warned about (a value, not an error)", () => {
    const r = parseConfig("capacity:\n  agents: 12\n  inFlight: 6\n");
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.config.capacity).toEqual({ agents: 12, inFlight: 6 });
    expect(r.warnings.map((w) => w.path)).toEqual(["capacity.inFlight"]);
    expect(formatConfigWarnings(r.warnings)).toContain(
      "`capacity.inFlight`: 6 is below capacity.agents (12)",
    );
  });

  it("no warning for the defaults or for a cap above the agents", () => {
    for (const text of ["", "capacity:\n  agents: 4\n  inFlight: 8\n"]) {
      const r = parseConfig(text);
      expect(r.ok && r.warnings).toEqual([]);
    }
  });
});

describe("mirror.folder stays inside the repository", () => {
  it.each([["/etc"], ["../outside"], ["docs/../../x"], ["C:\\x"], ["\\\\host\\share"]])(
    "%s is refused",
    (folder) => {
      const r = parseConfig(JSON.stringify({ mirror: { folder } }));
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.errors[0]?.path).toBe("mirror.folder");
    },
  );
  it.each([[""], ["docs/board"], ["tracking"]])("%j is fine", (folder) => {
    expect(parseConfig(JSON.stringify({ mirror: { folder } })).ok).toBe(true);
  });
});

describe("comments and the Conveyor check (quiet mode, issue 12)", () => {
  it("defaults to a comment per result and no Conveyor check (today's behaviour)", () => {
    const c = defaultConfig();
    expect([c.comments, c.conveyorCheck]).toEqual(["each", false]);
  });

  it("sticky turns the Conveyor check on unless the file says otherwise", () => {
    const on = parseConfig("comments: sticky\n");
    expect(on.ok && [on.config.comments, on.config.conveyorCheck]).toEqual(["sticky", true]);
    const off = parseConfig("comments: sticky\nconveyorCheck: false\n");
    expect(off.ok && off.config.conveyorCheck).toBe(false);
    const each = parseConfig("conveyorCheck: true\n");
    expect(each.ok && [each.config.comments, each.config.conveyorCheck]).toEqual(["each", true]);
  });

  it("refuses an unknown mode with the key's path", () => {
    const r = parseConfig("comments: quiet\n");
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.errors.map((e) => e.path)).toEqual(["comments"]);
  });
});

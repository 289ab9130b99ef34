import { describe, expect, it } from "vitest";
import { defaultConfig, readConfigText } from "../../src/core/config.js";

describe("readConfigText: the one reading of a config file", () => {
  it.each([
    ["absent", undefined, false],
    ["empty", "", true],
  ])("%s is the defaults, no problem", (_case, text, found) => {
    const read = readConfigText(text, ".github/conveyor.yml");
    expect(read).toMatchObject({ ok: true, found, errors: [] });
    expect(read.config).toEqual(defaultConfig());
    expect(read.problem).toBeUndefined();
  });

  it("an invalid file is the defaults with one line per bad key, said the same way everywhere", () => {
    const read = readConfigText("capacity:\n  agentz: 2\n", "The configuration x.yml");
    expect(read.ok).toBe(false);
    expect(read.found).toBe(true);
    expect(read.config).toEqual(defaultConfig());
    expect(read.errors).toEqual([expect.stringMatching(/^capacity\.agentz: unknown key/)]);
    expect(read.problem).toMatch(/^The configuration x\.yml is invalid:\n- `capacity\.agentz`: /);
  });

  it("a file that is no YAML mapping is a problem of the whole file", () => {
    const read = readConfigText("- a\n- b\n", "c.yml");
    expect(read.errors).toEqual(["(file): the file must be a YAML mapping"]);
  });

  it("a valid file gives its settings and its warnings", () => {
    const read = readConfigText("capacity:\n  agents: 4\n  inFlight: 2\n", "c.yml");
    expect(read.ok).toBe(true);
    expect(read.config.capacity.agents).toBe(4);
    expect(read.warnings.map((w) => w.path)).toEqual(["capacity.inFlight"]);
  });
});

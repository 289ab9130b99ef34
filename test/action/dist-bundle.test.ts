import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";

const dir = mkdtempSync(join(tmpdir(), "conveyor-dist-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs the committed bundle the way the runner does: inputs as INPUT_* variables. */
function runBundle(inputs: Record<string, string>) {
  const output = join(dir, `output-${Math.random().toString(36).slice(2)}`);
  const summary = join(dir, `summary-${Math.random().toString(36).slice(2)}`);
  writeFileSync(output, "");
  writeFileSync(summary, "");
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? "",
    GITHUB_REPOSITORY: "acme/widgets",
    GITHUB_WORKSPACE: dir,
    GITHUB_RUN_ID: "5",
    GITHUB_OUTPUT: output,
    GITHUB_STEP_SUMMARY: summary,
    "INPUT_GITHUB-TOKEN": "ghs_x",
    "INPUT_CONFIG-PATH": ".github/conveyor.yml",
    INPUT_ATTEMPT: "0",
  };
  for (const [k, v] of Object.entries(inputs)) env[`INPUT_${k.toUpperCase()}`] = v;
  const r = spawnSync(process.execPath, ["dist/index.js"], { env, encoding: "utf8" });
  return { ...r, output: readFileSync(output, "utf8"), summary: readFileSync(summary, "utf8") };
}

describe("dist/index.js (the committed Action bundle)", () => {
  it("runs a dry run: outputs and job summary, exit 0", () => {
    const r = runBundle({
      mode: "test",
      issue: "3",
      pr: "9",
      "dry-run": "true",
      "anthropic-api-key": "sk-test",
    });
    expect(r.status).toBe(0);
    expect(r.output).toContain(
      '{"correlationId":"3/tester/0/5","role":"tester","outcome":"ok","summary":"dry run"}',
    );
    expect(r.summary).toContain("### Conveyor tester agent (dry run)");
  });

  it("fails the step on invalid inputs, with the reason", () => {
    const r = runBundle({ mode: "deploy", issue: "3" });
    expect(r.status).toBe(1);
    expect(r.stdout).toContain(
      "::error::Invalid inputs:%0A- input 'mode': must be one of task, review, test, orchestrate",
    );
  });
});

describe("bin/conveyor.js", () => {
  it("starts the bundled CLI", () => {
    const r = spawnSync(process.execPath, ["bin/conveyor.js", "help"], { encoding: "utf8" });
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("usage: conveyor <command>");
  });
});

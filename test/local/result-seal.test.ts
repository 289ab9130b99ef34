import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { AgentResult } from "../../src/core/board.js";
import { newSealKey, sealKeyHash, sealResult } from "../../src/local/agents/result-seal.js";
import type { RunRecord } from "../../src/local/agents/run-record.js";
import { readResults } from "../../src/local/board/load-board.js";

let dir = "";
afterEach(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
  dir = "";
});

const cid = "T1/tester/0/3";
const passed: AgentResult = {
  correlationId: cid,
  role: "tester",
  outcome: "ok",
  passed: true,
  summary: "all green",
};
const record = (key: string): RunRecord => ({
  correlationId: cid,
  task: "T1",
  role: "tester",
  attempt: 0,
  pid: 1,
  startedAt: "2026-11-25T10:00:00.000Z",
  status: "exited",
  exitCode: 0,
  sealKeyHash: sealKeyHash(key),
});

/** Writes the report files of T1's run `cid` and reads them back. */
function read(files: { json: string; key?: string }, records: RunRecord[]) {
  dir = mkdtempSync(join(tmpdir(), "conveyor-seal-"));
  mkdirSync(join(dir, "T1"));
  writeFileSync(join(dir, "T1", "T1-tester-0-3.json"), files.json);
  if (files.key !== undefined) writeFileSync(join(dir, "T1", "T1-tester-0-3.key"), files.key);
  return readResults(dir, records);
}

describe("results count only when their own run sealed them", () => {
  const key = newSealKey();

  it("a result sealed with the run's key counts", () => {
    expect(read({ json: sealResult(passed, key), key }, [record(key)])).toEqual({ [cid]: passed });
  });

  it.each([
    ["a plain report without a seal", () => ({ json: JSON.stringify(passed), key })],
    [
      "a report sealed with a key the agent made up",
      () => {
        const own = newSealKey();
        return { json: sealResult(passed, own), key: own };
      },
    ],
    [
      "a sealed report whose verdict was changed",
      () => ({
        json: sealResult({ ...passed, passed: false }, key).replace(
          '"passed": false',
          '"passed": true',
        ),
        key,
      }),
    ],
    ["a sealed report before its run disclosed the key", () => ({ json: sealResult(passed, key) })],
  ])("%s does not", (_name, files) => {
    expect(read(files(), [record(key)])).toEqual({});
  });

  it("a report of an earlier run under the same id does not (the new run has a new key)", () => {
    expect(read({ json: sealResult(passed, key), key }, [record(newSealKey())])).toEqual({});
  });

  it("a report with no run record does not", () => {
    expect(read({ json: sealResult(passed, key), key }, [])).toEqual({});
  });

  it("a report filed under another run's id does not", () => {
    const other = { ...passed, correlationId: "T1/tester/0/9" };
    expect(read({ json: sealResult(other, key), key }, [record(key)])).toEqual({});
  });
});

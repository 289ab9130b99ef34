import { writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { readRunRecords } from "../../src/local/agents/run-record.js";
import type { LocalEvent } from "../../src/local/run/local-events.js";
import { runLocal } from "../../src/local/run/run-local.js";
import { cleanup, GIT_ENV, makeRepo, openRepo } from "./temp-repo.js";

let server: Server;
let url = "";
let dir = "";
/** Requests the readiness URL got. */
let requests = 0;
beforeAll(async () => {
  server = createServer((_req, res) => {
    requests++;
    res.writeHead(503);
    res.end("not ready");
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/readyz`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));
afterEach(() => {
  if (dir) cleanup(dir);
  dir = "";
});

/** A launcher that must never run: the pre-flight blocks every dispatch. */
const NEVER = { command: "sh", args: ["-c", "exit 99"] };

async function runUntilIdle(d: string) {
  const repo = await openRepo(d);
  const events: LocalEvent[] = [];
  const result = await runLocal({
    repo,
    env: GIT_ENV,
    emit: (e) => events.push(e),
    untilIdle: true,
    intervalMs: 50,
    launcher: NEVER,
  });
  return { repo, result, events };
}

describe("pre-flight before any dispatch", () => {
  it("a failing readiness URL dispatches nothing and names the check", async () => {
    dir = makeRepo({
      ".github/conveyor.yml": `preflight:\n  http:\n    - name: vector db\n      url: ${url}\n`,
      "TODO.md": "# TODO\n\n- [high] Index the docs\n",
    });
    const { repo, result, events } = await runUntilIdle(dir);
    expect(result.reason).toBe("idle");
    expect(result.message).toBe(`pre-flight failed: vector db: ${url} answered 503 (expected 200)`);
    expect(readRunRecords(repo.layout)).toEqual([]);
    expect(result.last?.board.tasks.map((t) => [t.id, t.stage])).toEqual([["T1", "todo"]]);
    expect(events.map((e) => e.text)).toContain(
      `T1: waiting — pre-flight failed: ${url} answered 503 (expected 200)`,
    );
  });

  it("uncommitted changes to tracked files block dispatch; a hand-edited TODO.md does not", async () => {
    dir = makeRepo({ "README.md": "hello\n", "TODO.md": "# TODO\n\n- Write docs\n" });
    writeFileSync(join(dir, "README.md"), "edited\n");
    const { result, repo } = await runUntilIdle(dir);
    expect(result.message).toBe(
      "pre-flight failed: clean work tree: uncommitted changes to tracked files (README.md): commit or stash them",
    );
    expect(readRunRecords(repo.layout)).toEqual([]);
  });

  it("an idle loop with a readiness URL asks it nothing while nothing is dispatchable", async () => {
    dir = makeRepo({
      ".github/conveyor.yml": `preflight:\n  http:\n    - name: vector db\n      url: ${url}\n`,
      "TODO.md": "# TODO\n",
    });
    const repo = await openRepo(dir);
    const abort = new AbortController();
    let passes = 0;
    requests = 0;
    const result = await runLocal({
      repo,
      env: GIT_ENV,
      emit: () => {},
      untilIdle: false,
      intervalMs: 10,
      launcher: NEVER,
      signal: abort.signal,
      onPass: () => {
        if (++passes >= 5) abort.abort();
      },
    });
    expect(result.reason).toBe("aborted");
    expect(passes).toBe(5);
    // Pre-flight runs only when the plan wants to dispatch (the same rule as GitHub's).
    expect(requests).toBe(0);
  });

  it("the same loop asks it once a task could be dispatched", async () => {
    dir = makeRepo({
      ".github/conveyor.yml": `preflight:\n  http:\n    - name: vector db\n      url: ${url}\n`,
      "TODO.md": "# TODO\n\n- Index the docs\n",
    });
    requests = 0;
    const { result } = await runUntilIdle(dir);
    expect(result.reason).toBe("idle");
    expect(requests).toBeGreaterThan(0);
  });
});

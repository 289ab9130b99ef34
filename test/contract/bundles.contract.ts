/**
 * Contract run (`npm run test:contract`, after `npm test` in .ci/run): the BUNDLED app and
 * Action (dist/, rebuild it first with `npm run build`) against stand-ins of GitHub built
 * from GitHub's published descriptions (./mock-github.ts), on github.com paths and on GitHub
 * Enterprise Server paths.
 *
 * - The app is booted as the README says (`npm start`, Probot's environment variables at the
 *   GHES stand-in), sent every real payload of @octokit/webhooks-examples for the events it
 *   subscribes to (app.yml), signed, and one forged delivery.
 * - The Action (`node dist/index.js`) runs in orchestrate mode and in each agent mode
 *   (dry-run) with an Actions environment: GITHUB_EVENT_PATH with a real payload,
 *   GITHUB_API_URL at the stand-in, INPUT_* as the runner sets them.
 *
 * Fails on any request the description does not allow, an unknown route, a GraphQL document
 * or variable the schema rejects, GraphQL sent to the wrong path, any error the app logs, a
 * forged delivery accepted, or the app not answering afterwards.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { createHmac, generateKeyPairSync } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { allExamples, example } from "../app/probot-harness.js";
import { type Layout, type MockGitHub, startMockGitHub } from "./mock-github.js";

const ROOT = resolve(import.meta.dirname, "../..");
const SECRET = "contract-webhook-secret";
const REPO = "Codertocat/Hello-World";

if (!existsSync(join(ROOT, "dist/app.js")) || !existsSync(join(ROOT, "dist/index.js")))
  throw new Error("the contract run needs dist/: run `npm run build` first");

const sign = (body: string, secret = SECRET) =>
  `sha256=${createHmac("sha256", secret).update(body).digest("hex")}`;

function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.once("error", fail);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address() as { port: number };
      s.close(() => ok(port));
    });
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Waits until the stand-in has seen no request for `quietMs` (the passes are done). */
async function settled(mock: MockGitHub, quietMs = 2500, maxMs = 120_000): Promise<void> {
  const start = Date.now();
  let last = -1;
  let since = Date.now();
  while (Date.now() - start < maxMs) {
    if (mock.requests.length !== last) {
      last = mock.requests.length;
      since = Date.now();
    } else if (Date.now() - since >= quietMs) return;
    await sleep(200);
  }
}

describe("the bundled app (`npm start`) on GitHub Enterprise Server paths", () => {
  let mock: MockGitHub;
  let app: ChildProcess;
  let appUrl: string;
  const logs: { level: number; msg: string }[] = [];

  beforeAll(async () => {
    mock = await startMockGitHub({ layout: "ghes", expected: documentedOn("ghes") });
    const port = await freePort();
    appUrl = `http://127.0.0.1:${port}`;
    const privateKey = generateKeyPairSync("rsa", {
      modulusLength: 2048,
      privateKeyEncoding: { type: "pkcs1", format: "pem" },
      publicKeyEncoding: { type: "spki", format: "pem" },
    }).privateKey;
    app = spawn("npm", ["start", "--silent"], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        NODE_ENV: "production",
        APP_ID: "1",
        PRIVATE_KEY: privateKey,
        WEBHOOK_SECRET: SECRET,
        GHE_HOST: new URL(mock.url).host,
        GHE_PROTOCOL: "http",
        PORT: String(port),
        HOST: "127.0.0.1",
        LOG_LEVEL: "info",
        LOG_FORMAT: "json",
        SWEEP_MINUTES: "0",
        CONVEYOR_SETTLE_MS: "0",
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let buffer = "";
    const collect = (chunk: Buffer) => {
      buffer += chunk.toString("utf8");
      const lines = buffer.split("\n");
      buffer = lines.pop() ?? "";
      for (const line of lines) {
        if (!line.trim()) continue;
        try {
          const j = JSON.parse(line) as { level?: number; msg?: string };
          logs.push({ level: j.level ?? 30, msg: String(j.msg ?? line) });
        } catch {
          logs.push({ level: 30, msg: line });
        }
      }
    };
    app.stdout?.on("data", collect);
    app.stderr?.on("data", collect);
    for (let i = 0; i < 150; i++) {
      const up = await fetch(`${appUrl}/`).then(
        () => true,
        () => false,
      );
      if (up) return;
      if (app.exitCode !== null) break;
      await sleep(200);
    }
    throw new Error(`the app did not start:\n${logs.map((l) => l.msg).join("\n")}`);
  }, 60_000);

  afterAll(async () => {
    app?.kill("SIGTERM");
    await mock?.close();
  });

  const deliver = (name: string, payload: unknown, id: string, secret = SECRET) => {
    const body = JSON.stringify(payload);
    return fetch(`${appUrl}/api/github/webhooks`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        "x-github-event": name,
        "x-github-delivery": id,
        "x-hub-signature-256": sign(body, secret),
      },
      body,
    });
  };

  it("answers every real payload of its events, signed; talks to GitHub only as described", async () => {
    const all = allExamples();
    expect(all.length).toBeGreaterThan(20);
    const refused: string[] = [];
    for (const [i, e] of all.entries()) {
      const res = await deliver(e.name, e.payload, `contract-${i}`);
      if (res.status >= 300) refused.push(`${e.label}: ${res.status}`);
    }
    expect(refused).toEqual([]);
    await settled(mock);
    // The passes reached GitHub: REST under /api/v3 and GraphQL at /api/graphql.
    expect(mock.requests.some((r) => r.path === "/api/graphql")).toBe(true);
    expect(mock.requests.some((r) => r.path.startsWith("/api/v3/repos/"))).toBe(true);
    expect(mock.problems).toEqual([]);
    expect(logs.filter((l) => l.level >= 50).map((l) => l.msg)).toEqual([]);
  }, 240_000);

  it("refuses a forged delivery and acts on nothing it says", async () => {
    // The forged delivery names an installation and a repository nothing else does: a pass
    // for it would take that installation's token and read that repository. (Counting all
    // requests instead flaked: a pass of the previous test may retry 30 s later, e.g. on a
    // busy lease.)
    const before = mock.requests.length;
    const payload = example("issues", "labeled") as Record<string, unknown>;
    payload.installation = { id: 777_001 };
    const repository = payload.repository as Record<string, unknown>;
    repository.name = "forged-repo";
    repository.full_name = `${(repository.owner as { login: string }).login}/forged-repo`;
    const res = await deliver("issues", payload, "forged-1", "not-the-secret");
    expect(res.status).toBeGreaterThanOrEqual(400);
    await sleep(1500);
    const caused = mock.requests
      .slice(before)
      .filter((r) => r.path.includes("/installations/777001/") || r.path.includes("forged-repo"));
    expect(caused).toEqual([]);
  });

  it("still answers afterwards", async () => {
    const payload = example("issues", "opened");
    const res = await deliver("issues", payload, "after-1");
    expect(res.status).toBeLessThan(300);
    await settled(mock);
    expect(mock.problems).toEqual([]);
    expect(app.exitCode).toBeNull();
  }, 120_000);
});

/** The bundled Action as a runner starts it: `node dist/index.js` with INPUT_* and GITHUB_*. */
async function runAction(
  mock: MockGitHub,
  inputs: Record<string, string>,
  event: { name: string; payload?: unknown },
): Promise<{ code: number; stdout: string; summary: string; outputs: string }> {
  const dir = mkdtempSync(join(tmpdir(), "conveyor-contract-"));
  try {
    const eventPath = join(dir, "event.json");
    writeFileSync(eventPath, JSON.stringify(event.payload ?? {}));
    for (const f of ["summary.md", "output.txt"]) writeFileSync(join(dir, f), "");
    const defaults: Record<string, string> = {
      issue: "",
      pr: "",
      attempt: "0",
      feedback: "",
      "correlation-id": "",
      "github-token": "ghs_contract",
      "anthropic-api-key": "",
      "agent-env": "",
      model: "",
      "config-path": ".github/conveyor.yml",
      "dry-run": "false",
    };
    const env: Record<string, string> = {
      PATH: process.env.PATH ?? "",
      HOME: process.env.HOME ?? "",
      GITHUB_ACTIONS: "true",
      CI: "true",
      GITHUB_REPOSITORY: REPO,
      GITHUB_REPOSITORY_OWNER: "Codertocat",
      GITHUB_EVENT_NAME: event.name,
      GITHUB_EVENT_PATH: eventPath,
      GITHUB_WORKSPACE: dir,
      GITHUB_RUN_ID: "4242",
      GITHUB_API_URL: mock.apiUrl,
      GITHUB_GRAPHQL_URL: mock.graphqlUrl,
      GITHUB_SERVER_URL: mock.url,
      GITHUB_STEP_SUMMARY: join(dir, "summary.md"),
      GITHUB_OUTPUT: join(dir, "output.txt"),
      RUNNER_TEMP: dir,
    };
    for (const [k, v] of Object.entries({ ...defaults, ...inputs }))
      env[`INPUT_${k.toUpperCase()}`] = v;
    const child = spawn(process.execPath, [join(ROOT, "dist/index.js")], {
      cwd: dir,
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    child.stdout.on("data", (c: Buffer) => {
      stdout += c.toString("utf8");
    });
    child.stderr.on("data", (c: Buffer) => {
      stdout += c.toString("utf8");
    });
    const code = await new Promise<number>((ok) => child.on("close", (c) => ok(c ?? 1)));
    return {
      code,
      stdout,
      summary: readFileSync(join(dir, "summary.md"), "utf8"),
      outputs: readFileSync(join(dir, "output.txt"), "utf8"),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const LAYOUTS: Layout[] = ["github.com", "ghes"];

/**
 * What a GHES answers by its own description and the port handles: a dispatch with
 * `return_run_details` (newer than GHES) is refused with 422 and sent again without it.
 */
const documentedOn = (layout: Layout) => (problem: string) =>
  layout === "ghes" && /dispatches.*return_run_details/.test(problem);

describe("the GHES stand-in is GHES's own description, not github.com's", () => {
  let mock: MockGitHub;
  beforeAll(async () => {
    mock = await startMockGitHub({ layout: "ghes" });
  });
  afterAll(async () => {
    await mock?.close();
  });

  it("an endpoint only github.com has is an unknown route on GHES paths", async () => {
    const res = await fetch(`${mock.apiUrl}/repos/o/r/actions/runs/1/approve`, { method: "POST" });
    expect(res.status).toBe(404);
    expect(mock.problems.splice(0)).toEqual([
      expect.stringMatching(/no such route in GitHub's OpenAPI description/),
    ]);
  });

  it("a body key GHES does not know (return_run_details) is refused with 422", async () => {
    const res = await fetch(`${mock.apiUrl}/repos/o/r/actions/workflows/a.yml/dispatches`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ ref: "main", inputs: {}, return_run_details: true }),
    });
    expect(res.status).toBe(422);
    expect(((await res.json()) as { message: string }).message).toContain("return_run_details");
    expect(mock.problems.splice(0).join("\n")).toContain("return_run_details");
  });
});

describe.each(LAYOUTS)("the bundled Action (dist/index.js) on %s paths", (layout) => {
  let mock: MockGitHub;
  beforeAll(async () => {
    mock = await startMockGitHub({ layout, expected: documentedOn(layout) });
  });
  afterAll(async () => {
    await mock?.close();
  });

  const withInstallation = (p: Record<string, unknown>) => {
    const copy = { ...p };
    delete copy.installation;
    return copy;
  };

  it.each([
    ["issues", "labeled"],
    ["issue_comment", "created"],
    ["workflow_run", "completed"],
  ])(
    "orchestrate on %s.%s: one pass, summary written, every request as described",
    async (name, action) => {
      const payload = withInstallation(example(name, action));
      if (name === "issue_comment") (payload.comment as { body: string }).body = "/conveyor status";
      const before = mock.requests.length;
      const r = await runAction(mock, { mode: "orchestrate" }, { name, payload });
      expect(r.stdout).not.toContain("::error::");
      expect(r.code, r.stdout).toBe(0);
      expect(r.summary).toContain(`Conveyor pass on ${REPO}`);
      expect(mock.requests.length).toBeGreaterThan(before);
      expect(mock.problems).toEqual([]);
    },
    120_000,
  );

  it("orchestrate on a schedule (no payload), dry-run", async () => {
    const r = await runAction(
      mock,
      { mode: "orchestrate", "dry-run": "true" },
      { name: "schedule" },
    );
    expect(r.code, r.stdout).toBe(0);
    expect(r.summary).toContain(`Conveyor dry run on ${REPO}`);
    expect(mock.problems).toEqual([]);
  }, 120_000);

  it.each([
    ["task", { issue: "1" }],
    ["review", { issue: "1", pr: "2" }],
    ["test", { issue: "1", pr: "2" }],
  ])(
    "agent mode %s, dry-run: valid inputs, a summary, the outputs, nothing sent",
    async (mode, extra) => {
      const before = mock.requests.length;
      const r = await runAction(
        mock,
        { mode, "dry-run": "true", "anthropic-api-key": "sk-contract", ...extra },
        { name: "workflow_dispatch", payload: { inputs: { mode, ...extra } } },
      );
      expect(r.code, r.stdout).toBe(0);
      expect(r.summary).toContain("(dry run)");
      expect(r.outputs).toContain("result");
      expect(mock.requests.length).toBe(before);
      expect(mock.problems).toEqual([]);
    },
    60_000,
  );
});

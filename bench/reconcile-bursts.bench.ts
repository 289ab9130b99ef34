/**
 * Reconciles per burst of webhook deliveries: N `labeled` deliveries for one repository
 * arrive back to back through Probot's `receive`; the app's queue coalesces them. Printed
 * for the default settle delay (1 s: a burst shares one pass) and for none (a burst costs
 * at most two: the pass running and one pending). Each pass takes ~20 ms here. With a gap
 * between deliveries (a trickle rather than a burst) passes are bounded by time, not by
 * the number of deliveries: at most one running and one pending at any moment. GitHub is
 * faked by nock (the label check reads the repository's config with its default branch, and
 * the labeller's permission): nothing leaves the machine.
 */
import { generateKeyPairSync } from "node:crypto";
import { createRequire } from "node:module";
import type { WebhookDefinition } from "@octokit/webhooks-examples";
import nock from "nock";
import { Probot, ProbotOctokit } from "probot";
import { createConveyorApp } from "../src/app/conveyor-app.js";

const examples = createRequire(import.meta.url)(
  "@octokit/webhooks-examples",
) as WebhookDefinition[];
const labeled = examples
  .find((d) => d.name === "issues")
  ?.examples.find((e) => (e as { action?: string }).action === "labeled");

const privateKey = generateKeyPairSync("rsa", {
  modulusLength: 2048,
  privateKeyEncoding: { type: "pkcs1", format: "pem" },
  publicKeyEncoding: { type: "spki", format: "pem" },
}).privateKey;

async function burst(
  n: number,
  settleMs: number,
  gapMs: number,
): Promise<{ reconciles: number; ms: number }> {
  const probot = new Probot({
    appId: 1,
    privateKey,
    Octokit: ProbotOctokit.defaults((o: Record<string, unknown>) => ({
      ...o,
      throttle: { enabled: false },
    })),
    logLevel: "fatal",
  });
  let reconciles = 0;
  const conveyor = createConveyorApp({
    reconcile: async () => {
      reconciles++;
      await new Promise((r) => setTimeout(r, 20));
    },
    botLogin: "conveyor[bot]",
    dryRun: true, // no lease requests: this measures the queue, offline
    settleMs,
    sweepMinutes: 0,
  });
  await probot.load(conveyor.app);
  const started = performance.now();
  for (let i = 0; i < n; i++) {
    const payload = structuredClone(labeled) as unknown as Record<string, unknown>;
    payload.installation = { id: 1 };
    (payload.label as { name: string }).name = `label-${i}`;
    await probot.receive({
      id: `d-${settleMs}-${gapMs}-${n}-${i}`,
      name: "issues",
      payload,
    } as never);
    if (gapMs > 0) await new Promise((r) => setTimeout(r, gapMs));
  }
  // A request nock does not answer makes the label check wait for a retry that never comes
  // here (no sweep): fail loudly instead of hanging.
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    conveyor.idle(),
    new Promise((_, reject) => {
      timer = setTimeout(
        () => reject(new Error("the app never went idle: is every request it sends faked?")),
        60_000,
      );
    }),
  ]).finally(() => clearTimeout(timer));
  const ms = performance.now() - started;
  conveyor.stop();
  return { reconciles, ms };
}

export default async function main(): Promise<void> {
  nock.disableNetConnect();
  nock("https://api.github.com")
    .persist()
    .post(/\/app\/installations\/\d+\/access_tokens/)
    .reply(201, { token: "ghs_bench", expires_at: "2999-01-01T00:00:00Z" })
    .get(/\/contents\//)
    .reply(404, { message: "Not Found" })
    // The label check reads the config with the default branch (one GraphQL query: no
    // .github/conveyor.yml here) and the labeller's permission.
    .post("/graphql")
    .reply(200, {
      data: {
        repository: {
          deleteBranchOnMerge: false,
          defaultBranchRef: {
            name: "main",
            target: { oid: "a".repeat(40), file: null, history: { nodes: [] } },
          },
        },
      },
    })
    .get(/\/collaborators\/[^/]+\/permission$/)
    .reply(200, { permission: "write", role_name: "write" });
  console.log("deliveries  gap(ms)  settle(ms)  reconciles  wall(ms)");
  for (const [settleMs, gapMs] of [
    [1000, 0],
    [0, 0],
    [1000, 5],
    [0, 5],
  ] as const)
    for (const n of [1, 6, 50]) {
      const r = await burst(n, settleMs, gapMs);
      console.log(
        `${String(n).padStart(10)}  ${String(gapMs).padStart(7)}  ${String(settleMs).padStart(10)}  ${String(r.reconciles).padStart(10)}  ${r.ms.toFixed(0).padStart(8)}`,
      );
    }
  nock.cleanAll();
  nock.enableNetConnect();
}

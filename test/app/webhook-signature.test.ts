/**
 * The HTTP path a real delivery takes: Probot's node middleware on a local server. A
 * delivery with a forged `X-Hub-Signature-256` is rejected before any handler runs.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import nock from "nock";
import { createNodeMiddleware } from "probot";
import { afterEach, beforeEach, expect, it } from "vitest";
import { type ConveyorApp, createConveyorApp } from "../../src/app/conveyor-app.js";
import { BOT, example, newProbot, SECRET, signature } from "./probot-harness.js";

let server: Server;
let url: string;
let conveyor: ConveyorApp;
let reconciles: number;

beforeEach(async () => {
  nock.disableNetConnect();
  nock.enableNetConnect("127.0.0.1");
  reconciles = 0;
  conveyor = createConveyorApp({
    reconcile: async () => {
      reconciles++;
    },
    botLogin: BOT,
    dryRun: true,
    settleMs: 0,
    sweepMinutes: 0,
  });
  const middleware = await createNodeMiddleware(conveyor.app, { probot: newProbot() });
  server = createServer((req, res) => {
    void middleware(req, res, () => res.writeHead(404).end());
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/github/webhooks`;
});

afterEach(async () => {
  conveyor.stop();
  await new Promise((resolve) => server.close(resolve));
  nock.enableNetConnect();
});

async function deliver(payload: string, sig: string) {
  return fetch(url, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "x-github-event": "issues",
      "x-github-delivery": `sig-${Math.random()}`,
      "x-hub-signature-256": sig,
    },
    body: payload,
  });
}

it("a forged signature is rejected and reconciles nothing", async () => {
  const payload = JSON.stringify(example("issues", "opened"));
  const res = await deliver(payload, signature("not-the-secret", payload));
  expect(res.status).toBe(400);
  await conveyor.idle();
  expect(reconciles).toBe(0);
});

it("a delivery signed with the secret is accepted and reconciled", async () => {
  const payload = JSON.stringify(example("issues", "opened"));
  const res = await deliver(payload, signature(SECRET, payload));
  expect(res.status).toBe(200);
  await conveyor.idle();
  expect(reconciles).toBe(1);
});

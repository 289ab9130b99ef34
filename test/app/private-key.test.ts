import { generateKeyPairSync } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it, vi } from "vitest";
import { privateKeyProblem, startServer } from "../../src/app/start-server.js";

// A bad PRIVATE_KEY is one line and exit 1 (Probot alone prints a stack trace and then
// serves its setup page as if no app existed).

const dir = mkdtempSync(join(tmpdir(), "conveyor-key-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const { privateKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
const pem = privateKey.export({ type: "pkcs1", format: "pem" }).toString();

describe("the app's private key", () => {
  it.each([
    ["not a key at all", { PRIVATE_KEY: "garbage" }, /PRIVATE_KEY is not a usable private key/],
    [
      "a PEM frame around garbage",
      { PRIVATE_KEY: "-----BEGIN RSA PRIVATE KEY-----\\nabc\\n-----END RSA PRIVATE KEY-----" },
      /PRIVATE_KEY is not a usable private key: .*\.pem file/,
    ],
    ["a path that does not exist", { PRIVATE_KEY_PATH: join(dir, "nope.pem") }, /PRIVATE_KEY_PATH/],
  ])("%s: one line that says what is wrong", (_name, env, message) => {
    const problem = privateKeyProblem(env);
    expect(problem).toMatch(message);
    expect(problem).not.toContain("\n");
  });

  it("accepts a real key: inline, with escaped newlines, base64, or from a file", () => {
    const path = join(dir, "app.pem");
    writeFileSync(path, pem);
    for (const env of [
      { PRIVATE_KEY: pem },
      { PRIVATE_KEY: pem.replace(/\n/g, "\\n") },
      { PRIVATE_KEY: Buffer.from(pem).toString("base64") },
      { PRIVATE_KEY_PATH: path },
      {},
    ])
      expect(privateKeyProblem(env)).toBeUndefined();
  });

  it("npm start with a bad key prints one line and exits 1, serving nothing", async () => {
    const error = vi.spyOn(console, "error").mockImplementation(() => undefined);
    try {
      const code = await startServer({ APP_ID: "1", PRIVATE_KEY: "garbage", WEBHOOK_SECRET: "s" });
      expect(code).toBe(1);
      expect(error).toHaveBeenCalledTimes(1);
      const printed = String(error.mock.calls[0]?.[0]);
      expect(printed).toMatch(/^Conveyor: PRIVATE_KEY is not a usable private key/);
      expect(printed).not.toMatch(/\n\s+at /);
    } finally {
      error.mockRestore();
    }
  });
});

describe("smee-client for the development setup", () => {
  it("is installed, so Probot's setup page can create a webhook channel", async () => {
    const { SmeeClient } = await import("smee-client");
    expect(typeof SmeeClient.createChannel).toBe("function");
  });
});

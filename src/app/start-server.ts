import { createPrivateKey } from "node:crypto";
import { getPrivateKey } from "@probot/get-private-key";
import { run } from "probot";
import { appFromEnv, readAppEnv } from "./app-env.js";

/**
 * `npm start`: the Probot server with the Conveyor app. With APP_ID and PRIVATE_KEY unset,
 * Probot serves its setup page, which registers the app from `app.yml`.
 */
export async function startServer(env: Record<string, string | undefined>): Promise<number> {
  const read = readAppEnv(env);
  if (!read.ok) {
    console.error(`Conveyor: bad environment\n${read.errors.map((e) => `- ${e}`).join("\n")}`);
    return 1;
  }
  const keyProblem = privateKeyProblem(env);
  if (keyProblem) {
    console.error(`Conveyor: ${keyProblem}`);
    return 1;
  }
  const conveyor = appFromEnv(read.env);
  // Probot's setup page creates a smee.io channel for the webhooks of a new app: give it
  // the client (a devDependency, bundled) instead of letting it try to install one.
  const server = await run(conveyor.app, { SmeeClient: await smeeClient() });
  const shutdown = async () => {
    conveyor.stop();
    await server.stop();
    await conveyor.idle();
    process.exit(0);
  };
  process.once("SIGTERM", () => void shutdown());
  process.once("SIGINT", () => void shutdown());
  return 0;
}

/**
 * Why the private key in PRIVATE_KEY / PRIVATE_KEY_PATH cannot be used, in one line, or
 * undefined when it can (or none is set: Probot's setup mode then registers the app).
 * Probot itself would print a stack trace and fall back to setup mode.
 */
export function privateKeyProblem(env: Record<string, string | undefined>): string | undefined {
  if (!env.PRIVATE_KEY && !env.PRIVATE_KEY_PATH) return undefined;
  const from = env.PRIVATE_KEY ? "PRIVATE_KEY" : `PRIVATE_KEY_PATH (${env.PRIVATE_KEY_PATH})`;
  let pem: string | null;
  try {
    pem = getPrivateKey({ env });
  } catch (e: unknown) {
    const why = (e instanceof Error ? e.message : String(e)).replace(/^\[[^\]]+\]\s*/, "");
    return `${from} is not a usable private key: ${why}`;
  }
  if (!pem) return `${from} is empty`;
  try {
    createPrivateKey(pem);
  } catch (e: unknown) {
    return `${from} is not a usable private key: ${e instanceof Error ? e.message : String(e)} (paste the whole .pem file the app's settings page generated)`;
  }
  return undefined;
}

type SmeeClass = NonNullable<NonNullable<Parameters<typeof run>[1]>["SmeeClient"]>;

/** smee-client's class for Probot's setup page, or undefined where it is not installed. */
async function smeeClient(): Promise<SmeeClass | undefined> {
  try {
    return (await import("smee-client")).SmeeClient as SmeeClass;
  } catch {
    return undefined;
  }
}

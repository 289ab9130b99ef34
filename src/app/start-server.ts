import { run } from "probot";
import { readAppEnv } from "./app-env.js";
import { appFromEnv } from "./app-from-env.js";

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
  const conveyor = appFromEnv(read.env);
  const server = await run(conveyor.app);
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

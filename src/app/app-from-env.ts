import type { ApplicationFunction } from "probot";
import { githubUrls } from "../github/octokit-transport.js";
import { type AppEnv, apiBaseUrl, readAppEnv } from "./app-env.js";
import { type ConveyorApp, createConveyorApp } from "./conveyor-app.js";
import { createGitHubRuntime } from "./github-runtime.js";

/** The production app: the real GitHub backend, settings from the environment. */
export function appFromEnv(env: AppEnv): ConveyorApp {
  // The server's URLs, given explicitly (GHE serves GraphQL at /api/graphql, not /api/v3/graphql).
  const runtime = createGitHubRuntime({ urls: githubUrls(apiBaseUrl(env)) });
  return createConveyorApp({
    reconcile: runtime.reconcile,
    commands: runtime.commands,
    ...(env.CONVEYOR_BOT_LOGIN ? { botLogin: env.CONVEYOR_BOT_LOGIN } : {}),
    dryRun: env.CONVEYOR_DRY_RUN,
    sweepMinutes: env.SWEEP_MINUTES,
    leaseTtlMs: env.CONVEYOR_LEASE_SECONDS * 1000,
    settleMs: env.CONVEYOR_SETTLE_MS,
  });
}

/** The app function for `probot run`; a bad environment throws a message naming each variable. */
export function appFunctionFromEnv(env: Record<string, string | undefined>): ApplicationFunction {
  const read = readAppEnv(env);
  if (!read.ok) throw new Error(`Conveyor: bad environment: ${read.errors.join("; ")}`);
  return appFromEnv(read.env).app;
}

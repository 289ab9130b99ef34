import type { ApplicationFunction } from "probot";
import { z } from "zod";
import { githubUrls } from "../github/octokit-transport.js";
import { type ConveyorApp, createConveyorApp } from "./conveyor-app.js";
import { createGitHubRuntime } from "./github-runtime.js";

/**
 * The app's own settings, read once from the environment (Probot reads APP_ID,
 * PRIVATE_KEY, WEBHOOK_SECRET, WEBHOOK_PROXY_URL, PORT, LOG_LEVEL itself).
 */
const envSchema = z.object({
  GHE_HOST: z
    .string()
    .regex(/^[\w.-]+(:\d+)?$/, "must be a host name, e.g. `github.example.com`")
    .optional()
    .describe(
      "GitHub Enterprise Server host (Probot reads it too): REST /api/v3, GraphQL /api/graphql.",
    ),
  GHE_PROTOCOL: z.enum(["https", "http"]).optional().describe("Protocol of GHE_HOST (https)."),
  SWEEP_MINUTES: z.coerce
    .number()
    .min(0)
    .max(1440)
    .default(5)
    .describe("Minutes between sweeps over every installation; 0 turns the sweep off."),
  CONVEYOR_DRY_RUN: z
    .enum(["true", "false", "1", "0", ""])
    .default("false")
    .transform((v) => v === "true" || v === "1")
    .describe("Log the effects of each pass instead of applying them."),
  CONVEYOR_BOT_LOGIN: z
    .string()
    .regex(/^[\w.-]+\[bot\]$/, "must look like `my-app[bot]`")
    .optional()
    .describe("The app's bot login; read from GET /app when unset."),
  CONVEYOR_LEASE_SECONDS: z.coerce
    .number()
    .int()
    .min(30)
    .max(3600)
    .default(300)
    .describe("Lifetime of the lease on refs/conveyor/lock; longer than any pass."),
  CONVEYOR_SETTLE_MS: z.coerce
    .number()
    .int()
    .min(0)
    .max(60_000)
    .default(1000)
    .describe("Deliveries this close together share one pass."),
});

export type AppEnv = z.output<typeof envSchema>;

export type AppEnvResult = { ok: true; env: AppEnv } | { ok: false; errors: string[] };

/**
 * Never throws: a bad variable is a message naming it. Outside development the app refuses
 * to run without `WEBHOOK_SECRET`: Probot would then verify deliveries with its development
 * secret, which anyone can sign with, so anyone could forge webhooks (commands, labels).
 * Probot's setup mode (no APP_ID or no private key yet) loads no app and needs none.
 */
export function readAppEnv(env: Record<string, string | undefined>): AppEnvResult {
  const r = envSchema.safeParse(env);
  const errors = r.success ? [] : r.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`);
  const configured = Boolean(env.APP_ID) && Boolean(env.PRIVATE_KEY || env.PRIVATE_KEY_PATH);
  const development =
    env.NODE_ENV === "development" || env.CONVEYOR_ALLOW_UNSIGNED_WEBHOOKS === "true";
  if (configured && !env.WEBHOOK_SECRET?.trim() && !development)
    errors.push(
      "WEBHOOK_SECRET: is required: without it every delivery is checked against a secret anyone knows, so anyone could forge webhooks. Set it to the app's webhook secret (NODE_ENV=development or CONVEYOR_ALLOW_UNSIGNED_WEBHOOKS=true allow running without one on your own machine)",
    );
  if (r.success && errors.length === 0) return { ok: true, env: r.data };
  return { ok: false, errors };
}

/**
 * The REST base of the server, as Probot computes it from the same variables: github.com's
 * API, or `<protocol>://<GHE_HOST>/api/v3` on GitHub Enterprise Server.
 */
export function apiBaseUrl(env: Pick<AppEnv, "GHE_HOST" | "GHE_PROTOCOL">): string {
  return env.GHE_HOST
    ? `${env.GHE_PROTOCOL ?? "https"}://${env.GHE_HOST}/api/v3`
    : "https://api.github.com";
}

/** The production app: the real GitHub backend, settings from the environment. */
export function appFromEnv(env: AppEnv): ConveyorApp {
  // The server's URLs, given explicitly (GHE serves GraphQL at /api/graphql, not /api/v3/graphql).
  const runtime = createGitHubRuntime({ urls: githubUrls(apiBaseUrl(env)) });
  return createConveyorApp({
    openPass: runtime.open,
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

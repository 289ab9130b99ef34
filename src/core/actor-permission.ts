import type { Config } from "./config.js";

/**
 * Who may schedule work or run commands: a user with at least `permissions.schedule` on
 * the repository; a bot only when `permissions.allowBots` names it.
 */

export const PERMISSION_LEVELS = ["none", "read", "triage", "write", "maintain", "admin"] as const;
export type PermissionLevel = (typeof PERMISSION_LEVELS)[number];

export interface Actor {
  login: string;
  /** `Bot` for apps, `User`, `Organization`… as GitHub sends it. */
  type?: string;
}

export type ActorDecision = { allowed: true } | { allowed: false; reason: string };

export function isBot(actor: Actor): boolean {
  return actor.type === "Bot" || actor.login.endsWith("[bot]");
}

/** `dependabot[bot]` and `dependabot` name the same bot. */
export function botName(login: string): string {
  return login.replace(/\[bot\]$/, "").toLowerCase();
}

/**
 * The level from `GET /repos/{o}/{r}/collaborators/{user}/permission`: `role_name` knows
 * triage and maintain, `permission` only admin/write/read/none.
 */
export function permissionLevel(data: {
  permission?: string;
  role_name?: string;
}): PermissionLevel {
  for (const value of [data.role_name, data.permission]) {
    const level = PERMISSION_LEVELS.find((l) => l === value);
    if (level) return level;
  }
  return "none";
}

export function atLeast(level: PermissionLevel, required: PermissionLevel): boolean {
  return PERMISSION_LEVELS.indexOf(level) >= PERMISSION_LEVELS.indexOf(required);
}

/** Bots first (no permission lookup needed), then the user's repository permission. */
export function decideActor(
  actor: Actor,
  level: PermissionLevel | undefined,
  config: Pick<Config, "permissions">,
): ActorDecision {
  const { schedule, allowBots } = config.permissions;
  if (isBot(actor)) {
    if (allowBots.some((b) => botName(b) === botName(actor.login))) return { allowed: true };
    return {
      allowed: false,
      reason: `bots may not schedule work unless \`permissions.allowBots\` lists them (\`${actor.login}\` is not listed)`,
    };
  }
  const have = level ?? "none";
  if (atLeast(have, schedule)) return { allowed: true };
  return {
    allowed: false,
    reason: `this needs at least \`${schedule}\` permission on the repository, and @${actor.login} has \`${have}\``,
  };
}

/** The labels only a permitted actor may add: every stage label of the workflow. */
export function guardedLabels(config: Pick<Config, "labels">): string[] {
  return Object.values(config.labels);
}

/** The comment left when a label is removed. */
export function labelRefusal(login: string, label: string, reason: string): string {
  return [
    `Thanks @${login}! I removed the \`${label}\` label because only people allowed to schedule work for Conveyor can add it: ${reason}.`,
    "",
    "A maintainer can add the label again if this should be worked on.",
  ].join("\n");
}

import type { ProbotOctokit } from "probot";
import { errorText } from "../github/http-errors.js";
import { type RepoTarget, repoKey } from "./pass-context.js";
import type { RepoConfigCache } from "./repo-config-cache.js";
import type { RepoRegistry } from "./repo-registry.js";

export interface SweepDeps {
  /** App-authenticated Octokit (no installation id) and installation-authenticated ones. */
  auth: (installationId?: number) => Promise<ProbotOctokit>;
  findActiveRepos: (
    octokit: ProbotOctokit,
    account: { login: string; type?: string },
  ) => Promise<string[]>;
  registry: RepoRegistry;
  configs: RepoConfigCache;
  request: (target: RepoTarget) => void;
  now: () => Date;
  /** Default minutes between two passes over one repository (its config may say more). */
  sweepMinutes: number;
  /** Repositories with an event this recent are swept even when the search misses them. */
  recentEventMs: number;
  log: { info: (line: string) => void; error: (line: string) => void };
}

export interface SweepReport {
  installations: number;
  requested: string[];
  /** Swept recently enough already (their config's `sweepMinutes`). */
  skipped: string[];
  errors: string[];
}

/**
 * One sweep: for every installation, the repositories with work in flight (plus those with
 * recent events) get a reconcile request, so missed webhooks, overdue runs and agents that
 * never started are repaired. A failing installation is reported and does not stop the rest.
 */
export async function sweepOnce(deps: SweepDeps): Promise<SweepReport> {
  const report: SweepReport = { installations: 0, requested: [], skipped: [], errors: [] };
  const appOctokit = await deps.auth();
  const installations = await appOctokit.paginate("GET /app/installations", { per_page: 100 });
  for (const inst of installations) {
    report.installations++;
    const who = inst.account && "login" in inst.account ? inst.account : undefined;
    if (!who) continue;
    const account = who.login;
    try {
      const octokit = await deps.auth(inst.id);
      const names = new Set(
        await deps.findActiveRepos(octokit, { login: account, type: who.type }),
      );
      const targets = new Map<string, RepoTarget>();
      for (const repo of names)
        targets.set(repoKey({ owner: account, repo }), {
          owner: account,
          repo,
          installationId: inst.id,
        });
      for (const t of deps.registry.recent(inst.id, deps.now(), deps.recentEventMs))
        targets.set(repoKey(t), t);
      for (const [key, target] of targets) {
        if (await sweptRecently(deps, key)) {
          report.skipped.push(key);
          continue;
        }
        deps.request(target);
        report.requested.push(key);
      }
    } catch (e: unknown) {
      const msg = `installation ${inst.id} (${account}): ${errorText(e)}`;
      deps.log.error(`sweep: ${msg}`);
      report.errors.push(msg);
    }
  }
  deps.log.info(
    `sweep: ${report.installations} installation(s), ${report.requested.length} repo(s) requested, ${report.skipped.length} skipped`,
  );
  return report;
}

async function sweptRecently(deps: SweepDeps, key: string): Promise<boolean> {
  const last = deps.registry.lastPassAt(key);
  if (last === undefined) return false;
  let minutes = deps.sweepMinutes;
  const cached = deps.configs.peek(key);
  if (cached) {
    try {
      const r = await cached;
      if (r.errors.length === 0) minutes = Math.max(minutes, r.config.sweepMinutes);
    } catch {
      // Unread config: the default interval.
    }
  }
  // A little slack so a pass that ended just before the tick does not skip a whole period.
  return deps.now().getTime() - last < minutes * 60_000 * 0.9;
}

import { hostname } from "node:os";
import type { ApplicationFunction, Probot, ProbotOctokit } from "probot";
import { errorText } from "../github/http-errors.js";
import { findActiveRepos } from "./active-repos.js";
import { DeliveryDedupe } from "./delivery-dedupe.js";
import { createGitHubRuntime } from "./github-runtime.js";
import { LeaseLock } from "./lease-lock.js";
import type { CommandService, OpenPass, ReconcileFn } from "./pass-context.js";
import { type RepoTarget, repoKey } from "./pass-context.js";
import { type QueueTimers, ReconcileQueue } from "./reconcile-queue.js";
import { RepoConfigCache } from "./repo-config-cache.js";
import { type PassStep, runRepoPass } from "./repo-pass.js";
import { RepoRegistry } from "./repo-registry.js";
import { type SweepReport, sweepOnce } from "./sweeper.js";
import { type HandlerOutcome, handleDelivery } from "./webhook-handler.js";

export interface ConveyorAppOptions {
  /** One reconcile pass (production: `reconcileRepo` over the Octokit port). */
  reconcile: ReconcileFn;
  /** Comment commands; without it `/conveyor` comments are logged and ignored. */
  commands?: CommandService<unknown>;
  /**
   * Opens each pass over the installation's Octokit: its port (the lease, the label checks
   * and the commands go through it too), its config and permission reads. Give the same
   * runtime's `open` as its `reconcile` and `commands`; default: the Octokit port.
   */
  openPass?: OpenPass;
  /** The app's bot login; read from `GET /app` (`<slug>[bot]`) when not given. */
  botLogin?: string;
  /** This instance's lease holder id; default host name, process id and a random suffix. */
  holder?: string;
  /** Lease lifetime, longer than any pass. Default 5 minutes. */
  leaseTtlMs?: number;
  /** Retry delay when another instance holds a repository. Default 30 s. */
  busyRetryMs?: number;
  /** Deliveries this close together share a pass. Default 1 s. */
  settleMs?: number;
  /** Minutes between sweeps; 0 = no sweep timer (tests call `sweep()`). Default 5. */
  sweepMinutes?: number;
  dryRun?: boolean;
  now?: () => Date;
  timers?: QueueTimers & {
    setInterval: (fn: () => void, ms: number) => unknown;
    clearInterval: (handle: unknown) => void;
  };
  dedupeCapacity?: number;
  findActiveRepos?: (
    octokit: ProbotOctokit,
    account: { login: string; type?: string },
  ) => Promise<string[]>;
}

export interface ConveyorApp {
  /** Load it into Probot: `probot.load(conveyor.app)` or `run(conveyor.app)`. */
  app: ApplicationFunction;
  queue: ReconcileQueue<RepoTarget, PassStep>;
  /** Outcome of each delivery handled so far, by delivery id (tests, debugging). */
  lastOutcome: (deliveryId: string) => HandlerOutcome | undefined;
  /** Resolves once every requested pass has run. */
  idle(): Promise<void>;
  /** One sweep now. */
  sweep(): Promise<SweepReport>;
  /** Stops the sweep timer and scheduled passes. */
  stop(): void;
}

/**
 * The Probot app: one handler for every event, a per-repository queue of passes, a lease
 * lock between instances, and a periodic sweep. Each pass reaches GitHub only through the
 * port of the pass (`openPass`), built over Probot's installation Octokit.
 */
export function createConveyorApp(options: ConveyorAppOptions): ConveyorApp {
  const now = options.now ?? (() => new Date());
  const dryRun = options.dryRun ?? false;
  const sweepMinutes = options.sweepMinutes ?? 5;
  const dedupe = new DeliveryDedupe(options.dedupeCapacity);
  const registry = new RepoRegistry();
  const configs = new RepoConfigCache();
  const openPass = options.openPass ?? createGitHubRuntime().open;
  const lock = new LeaseLock({
    holder:
      options.holder ?? `${hostname()}:${process.pid}:${Math.random().toString(36).slice(2, 8)}`,
    ttlMs: options.leaseTtlMs ?? 5 * 60_000,
    now,
  });
  const outcomes = new Map<string, HandlerOutcome>();
  let probot: Probot | undefined;
  let botLogin: Promise<string> | undefined;
  let sweepTimer: unknown;

  const auth = (installationId?: number): Promise<ProbotOctokit> => {
    if (!probot) throw new Error("the Conveyor app is not loaded into Probot");
    return probot.auth(installationId);
  };
  const resolveBotLogin = (): Promise<string> => {
    if (options.botLogin !== undefined) return Promise.resolve(options.botLogin);
    botLogin ??= auth()
      .then((o) => o.request("GET /app"))
      .then((res) => `${res.data?.slug ?? "conveyor"}[bot]`);
    botLogin.catch(() => {
      botLogin = undefined;
    });
    return botLogin;
  };
  const log = {
    debug: (line: string) => probot?.log.debug(line),
    info: (line: string) => probot?.log.info(line),
    warn: (line: string) => probot?.log.warn(line),
    error: (line: string) => probot?.log.error(line),
  };

  const queue = new ReconcileQueue<RepoTarget, PassStep>({
    settleMs: options.settleMs ?? 1000,
    ...(options.timers ? { timers: options.timers } : {}),
    run: (_key, target, steps) =>
      runRepoPass(
        {
          auth: (id) => auth(id),
          openPass,
          lock,
          configs,
          registry,
          reconcile: options.reconcile,
          commands: options.commands,
          botLogin: resolveBotLogin,
          dryRun,
          now,
          busyRetryMs: options.busyRetryMs ?? 30_000,
          log,
        },
        target,
        steps,
      ),
    onError: (key, e) => log.error(`${key}: pass failed (the next sweep repairs): ${errorText(e)}`),
  });
  const request = (target: RepoTarget, step?: PassStep) =>
    queue.request(repoKey(target), target, step);

  const sweep = () =>
    sweepOnce({
      auth,
      findActiveRepos: options.findActiveRepos ?? ((o, account) => findActiveRepos(o, account)),
      registry,
      configs,
      request,
      now,
      sweepMinutes: sweepMinutes || 5,
      recentEventMs: 24 * 60 * 60_000,
      log,
    });

  const app: ApplicationFunction = (p) => {
    probot = p;
    p.onAny(async (context) => {
      try {
        const outcome = await handleDelivery(
          { dedupe, registry, botLogin: resolveBotLogin, request, now, log },
          { id: context.id, name: context.name, payload: context.payload },
        );
        outcomes.set(context.id, outcome);
        if (outcomes.size > 1000) outcomes.delete(outcomes.keys().next().value as string);
      } catch (e: unknown) {
        // Never fail the delivery: the sweep repairs whatever this one missed.
        log.error(`delivery ${context.id} (${context.name}): ${errorText(e)}`);
      }
    });
    if (sweepMinutes > 0 && sweepTimer === undefined) {
      const tick = () => {
        sweep().catch((e: unknown) => log.error(`sweep failed: ${errorText(e)}`));
      };
      sweepTimer = options.timers
        ? options.timers.setInterval(tick, sweepMinutes * 60_000)
        : setInterval(tick, sweepMinutes * 60_000).unref();
    }
  };

  return {
    app,
    queue,
    lastOutcome: (id) => outcomes.get(id),
    idle: () => queue.idle(),
    sweep,
    stop: () => {
      if (sweepTimer !== undefined) {
        if (options.timers) options.timers.clearInterval(sweepTimer);
        else clearInterval(sweepTimer as ReturnType<typeof setInterval>);
        sweepTimer = undefined;
      }
      queue.stop();
    },
  };
}

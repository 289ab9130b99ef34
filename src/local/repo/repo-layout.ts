import { join } from "node:path";

/**
 * Where local mode keeps things in a repository. Everything Conveyor owns lives under
 * `.conveyor/` (excluded from git through `.git/info/exclude`); worktrees under `.worktrees/`.
 */
export interface RepoLayout {
  root: string;
  /** `.conveyor/` */
  dir: string;
  stateFile: string;
  runsDir: string;
  reportsDir: string;
  jobsDir: string;
  logsDir: string;
  /** Temp files of atomic writes to files in the work tree (renamed into place). */
  tmpDir: string;
  /** Git attributes of Conveyor's own merges (given to its git commands only). */
  mergeAttributesFile: string;
  worktreesDir: string;
}

export function repoLayout(root: string): RepoLayout {
  const dir = join(root, ".conveyor");
  return {
    root,
    dir,
    stateFile: join(dir, "state.json"),
    runsDir: join(dir, "runs"),
    reportsDir: join(dir, "reports"),
    jobsDir: join(dir, "jobs"),
    logsDir: join(dir, "logs"),
    tmpDir: join(dir, "tmp"),
    mergeAttributesFile: join(dir, "git", "merge-attributes"),
    worktreesDir: join(root, ".worktrees"),
  };
}

/** A correlation id (`T3/task/0/1`) as a file name (`T3-task-0-1`). */
export const cidFileName = (correlationId: string): string =>
  correlationId.replace(/[^A-Za-z0-9._-]+/g, "-");

export const worktreePath = (layout: RepoLayout, task: string): string =>
  join(layout.worktreesDir, task);

export const runFile = (layout: RepoLayout, cid: string): string =>
  join(layout.runsDir, `${cidFileName(cid)}.json`);

export const jobFile = (layout: RepoLayout, cid: string): string =>
  join(layout.jobsDir, `${cidFileName(cid)}.json`);

export const logFile = (layout: RepoLayout, cid: string): string =>
  join(layout.logsDir, `${cidFileName(cid)}.log`);

export const taskReportsDir = (layout: RepoLayout, task: string): string =>
  join(layout.reportsDir, task);

export const resultFile = (layout: RepoLayout, task: string, cid: string): string =>
  join(layout.reportsDir, task, `${cidFileName(cid)}.json`);

/** The key a run disclosed after it finished, next to its result (see `result-seal.ts`). */
export const sealKeyFile = (layout: RepoLayout, task: string, cid: string): string =>
  join(layout.reportsDir, task, `${cidFileName(cid)}.key`);

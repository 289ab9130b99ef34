import { closeSync, openSync, readFileSync, writeFileSync } from "node:fs";
import { isRunAlive } from "./run-record.js";

/**
 * The claim an agent child takes on its job as it starts: `<job>.lock` holding its pid,
 * created exclusively. A second process for the same job (a `conveyor run` that died between
 * spawning and recording the pid, then resumed) sees the live claim and does not run the
 * agent again.
 */
export const claimPath = (jobPath: string): string => `${jobPath}.lock`;

/** Takes the claim; returns the pid of a live holder instead when there is one. */
export function claimJob(jobPath: string, correlationId: string, pid = process.pid): number | true {
  const path = claimPath(jobPath);
  try {
    const fd = openSync(path, "wx");
    writeFileSync(fd, String(pid));
    closeSync(fd);
    return true;
  } catch {
    const holder = claimHolder(jobPath, correlationId);
    if (holder !== undefined && holder !== pid) return holder;
    writeFileSync(path, String(pid));
    return true;
  }
}

/** The pid of the live process holding the job's claim, if any. */
export function claimHolder(jobPath: string, correlationId: string): number | undefined {
  let text: string;
  try {
    text = readFileSync(claimPath(jobPath), "utf8");
  } catch {
    return undefined;
  }
  const pid = Number(text.trim());
  return Number.isInteger(pid) && pid > 0 && isRunAlive(pid, correlationId) ? pid : undefined;
}

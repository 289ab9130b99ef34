import { appendFileSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import type { RepoLayout } from "../repo/repo-layout.js";

/** One merge effect as it went: the tasks merged together, and the one that did not. */
export interface MergeLogEntry {
  at: string;
  tasks: string[];
  merged: string[];
  failed?: { task: string; reason: string };
}

const file = (layout: RepoLayout) => join(layout.dir, "merges.jsonl");

export function appendMergeLog(layout: RepoLayout, entry: MergeLogEntry): void {
  mkdirSync(layout.dir, { recursive: true });
  appendFileSync(file(layout), `${JSON.stringify(entry)}\n`);
}

export function readMergeLog(layout: RepoLayout): MergeLogEntry[] {
  let text: string;
  try {
    text = readFileSync(file(layout), "utf8");
  } catch {
    return [];
  }
  const out: MergeLogEntry[] = [];
  for (const line of text.split("\n")) {
    if (line.trim() === "") continue;
    try {
      out.push(JSON.parse(line) as MergeLogEntry);
    } catch {
      // a torn last line after a crash: skip it
    }
  }
  return out;
}

/** The write-ahead record of the merge under way (see `MergeJournal`). */
export const mergeJournalPath = (layout: RepoLayout): string => join(layout.dir, "merging.json");

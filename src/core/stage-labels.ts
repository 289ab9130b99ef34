import type { Stage } from "./board.js";
import type { Config } from "./config.js";

/**
 * The one map between the stage labels of a config and the board's stages (`escalated` and
 * `abandoned` have no stage label). Every backend and every reader goes through it.
 */
export type StageLabels = ReadonlyMap<string, Stage>;

/** The stages that have a label, in the order work moves through them. */
export const LABELLED_STAGES = [
  "todo",
  "in-progress",
  "review",
  "testing",
  "merge-queue",
  "done",
] as const satisfies readonly Stage[];

/** The label of a stage; undefined for a stage without one (`abandoned`). */
export function labelOfStage(config: Pick<Config, "labels">, stage: Stage): string | undefined {
  const l = config.labels;
  switch (stage) {
    case "todo":
      return l.todo;
    case "in-progress":
      return l.inProgress;
    case "review":
      return l.review;
    case "testing":
      return l.testing;
    case "merge-queue":
      return l.mergeQueue;
    case "done":
      return l.done;
    default:
      return undefined;
  }
}

/** Label name → stage, for the stage labels of the config. */
export function stageLabels(config: Pick<Config, "labels">): Map<string, Stage> {
  return new Map(LABELLED_STAGES.map((s) => [labelOfStage(config, s)!, s]));
}

/** The stage of an issue from its labels; several stage labels: the furthest one. */
export function stageFrom(labels: readonly string[], stageOf: StageLabels): Stage | undefined {
  let best: Stage | undefined;
  for (const l of labels) {
    const s = stageOf.get(l);
    if (s && (best === undefined || order(s) > order(best))) best = s;
  }
  return best;
}

const order = (s: Stage): number => (LABELLED_STAGES as readonly Stage[]).indexOf(s);

/** The labels that make an issue a task (every stage label), of work under way, and the board's. */
export function trackedLabels(config: Pick<Config, "labels">): {
  labels: string[];
  boardLabel: string;
  active: string[];
} {
  const all = LABELLED_STAGES.map((s) => labelOfStage(config, s)!);
  const active = (["in-progress", "review", "testing", "merge-queue"] as const).map(
    (s) => labelOfStage(config, s)!,
  );
  return { labels: all, boardLabel: config.labels.board, active };
}

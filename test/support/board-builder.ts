import {
  type Board,
  emptyMemory,
  emptyRepoMemory,
  type PullRequest,
  type Task,
  type TaskMemory,
} from "../../src/core/board.js";
import { type Config, type ConfigInput, configSchema } from "../../src/core/config.js";
import { describeEffect, type Effect } from "../../src/core/effects.js";

export const T0 = new Date("2026-11-25T10:00:00.000Z");
export const minutesAfter = (base: Date, m: number) => new Date(base.getTime() + m * 60_000);

export function config(input: ConfigInput = {}): Config {
  return configSchema.parse(input);
}

type TaskInput = Partial<Omit<Task, "memory" | "pr">> & {
  id: string;
  memory?: Partial<TaskMemory>;
  pr?: Partial<PullRequest> | true;
};

export function task(input: TaskInput): Task {
  const { memory, pr, ...rest } = input;
  const t: Task = {
    title: `Task ${input.id}`,
    priority: "medium",
    stage: "todo",
    createdAt: "2026-11-01T00:00:00.000Z",
    locations: [],
    ...rest,
    memory: { ...emptyMemory(), ...(memory ?? {}) },
  };
  if (pr) t.pr = prFor(input.id, pr === true ? {} : pr);
  return t;
}

export function prFor(id: string, p: Partial<PullRequest> = {}): PullRequest {
  return {
    number: 100 + Number(id.replace(/\D/g, "") || 0),
    headSha: `head${id}`.padEnd(40, "0"),
    branch: `conveyor/${id}-task`,
    changedFiles: [`src/file${id}.ts`],
    merged: false,
    mergeable: true,
    ...p,
  };
}

export function board(tasks: Task[], extra: Partial<Board> = {}): Board {
  return {
    repo: "o/r",
    tasks,
    runs: {},
    results: {},
    preflight: [],
    repoMemory: emptyRepoMemory(),
    ...extra,
  };
}

/** Effects as readable lines, without the bulky memory payloads. */
export const lines = (effects: Effect[]) =>
  effects.filter((e) => e.type !== "save-memory").map(describeEffect);

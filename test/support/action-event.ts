/**
 * The orchestrator Action started by a workflow event, as the tests of its event modes run
 * it: a real payload of `@octokit/webhooks-examples` written to GITHUB_EVENT_PATH, `runAction`
 * in orchestrate mode, and what it hands `runOrchestrate` captured instead of a pass.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { WebhookDefinition } from "@octokit/webhooks-examples";
import { runAction } from "../../src/action/run-action.js";
import type { OrchestrateOptions } from "../../src/github/orchestrate.js";

const examples = createRequire(import.meta.url)(
  "@octokit/webhooks-examples",
) as WebhookDefinition[];

export type EventPayload = Record<string, Record<string, unknown>>;

/** A deep copy of the first real `name.action` payload. */
export function examplePayload(name: string, action: string): EventPayload {
  const def = examples.find((d) => d.name === name);
  const found = def?.examples.find((e) => (e as { action?: string }).action === action);
  if (!found) throw new Error(`no example ${name}.${action}`);
  return structuredClone(found) as unknown as EventPayload;
}

/** What `runAction` hands `runOrchestrate` for a run started by `name` with `payload`. */
export async function orchestrateOptionsFor(
  name: string,
  payload: unknown,
  repository = "Codertocat/Hello-World",
): Promise<OrchestrateOptions[]> {
  const dir = mkdtempSync(join(tmpdir(), "conveyor-event-"));
  const path = join(dir, "event.json");
  writeFileSync(path, JSON.stringify(payload));
  const seen: OrchestrateOptions[] = [];
  await runAction({
    getInput: (input) => ({ mode: "orchestrate", "github-token": "ghs_x" })[input] ?? "",
    env: { GITHUB_REPOSITORY: repository, GITHUB_EVENT_NAME: name, GITHUB_EVENT_PATH: path },
    cwd: dir,
    log: () => {},
    runOrchestrate: async (o) => {
      seen.push(o);
      return { summary: "" };
    },
  });
  return seen;
}

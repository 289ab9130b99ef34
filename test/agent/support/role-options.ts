import type { RunRoleOptions } from "../../../src/agent/role-types.js";
import { type ConfigInput, validateConfig } from "../../../src/core/config.js";
import type { FakeMessagesServer } from "../../../src/replay/fake-messages-server.js";
import type { MemoryHost } from "./memory-host.js";

export function configOf(input: ConfigInput = {}) {
  const r = validateConfig(input);
  if (!r.ok) throw new Error(JSON.stringify(r.errors));
  return r.config;
}

/** Options of a role run against the fake server and an in-memory host. */
export function roleOptions(
  server: FakeMessagesServer,
  host: MemoryHost,
  workspace: string,
  over: Partial<RunRoleOptions> = {},
): RunRoleOptions {
  return {
    role: "task",
    workspace,
    task: { id: "7", title: "Fix add", body: "add() subtracts", locations: ["src/math.js"] },
    attempt: 0,
    correlationId: "7/task/0/1",
    branch: "conveyor/7-fix-add",
    baseBranch: "main",
    config: configOf(),
    model: "claude-sonnet-5-5",
    driver: { kind: "builtin", apiKey: "test-key", baseURL: server.url },
    host,
    deadline: new Date(Date.now() + 10 * 60_000),
    sleep: async () => {},
    ...over,
  };
}

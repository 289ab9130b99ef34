import type { AgentDriver } from "../../agent/role-types.js";
import type { Config } from "../../core/config.js";

/** What to tell someone who has neither an API key nor an agent command. */
export const NO_MODEL_MESSAGE = [
  "no model to run the agents with. Set one of:",
  "  - ANTHROPIC_API_KEY=<your key> (and optionally ANTHROPIC_BASE_URL) for the built-in agent loop, or",
  '  - in .github/conveyor.yml: agent: { runner: command, command: "<your agent CLI, reads the prompt on stdin>" }',
  "Try it offline first: npm run demo",
].join("\n");

/**
 * Who does the thinking: an external agent command from config, else the built-in loop over
 * the Messages API with `ANTHROPIC_API_KEY` (+ `ANTHROPIC_BASE_URL`). Neither: an error value.
 */
export function modelDriver(config: Config, env: NodeJS.ProcessEnv): AgentDriver | Error {
  if (config.agent.runner === "command" && config.agent.command)
    return { kind: "command", command: config.agent.command };
  const apiKey = env.ANTHROPIC_API_KEY;
  if (apiKey && apiKey.trim() !== "")
    return {
      kind: "builtin",
      apiKey,
      ...(env.ANTHROPIC_BASE_URL ? { baseURL: env.ANTHROPIC_BASE_URL } : {}),
    };
  return new Error(NO_MODEL_MESSAGE);
}

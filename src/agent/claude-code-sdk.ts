import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";

/**
 * Loads `@anthropic-ai/claude-agent-sdk` on demand (it is ~440 MB with its Claude Code
 * binary; only `agent.runner: claude-code` needs it, so it is an optional peer dependency).
 * Resolved next to Conveyor first, then in the given folders (the repository the run works
 * on, the current directory), by path so that no bundler ever inlines it.
 */
export const CLAUDE_AGENT_SDK = "@anthropic-ai/claude-agent-sdk";
export const CLAUDE_AGENT_SDK_RANGE = "^0.3.328";

export type ClaudeAgentSdk = typeof import("@anthropic-ai/claude-agent-sdk");
export type Zod = typeof import("zod");

export class ClaudeAgentSdkMissingError extends Error {
  override name = "ClaudeAgentSdkMissingError";
}

export interface LoadedClaudeAgentSdk {
  sdk: ClaudeAgentSdk;
  /** The zod the SDK itself uses (its peer dependency), for the custom tool's input shape. */
  z: Zod;
  /** Where it was found (for the log). */
  path: string;
}

/** Resolves a package from each folder given, in order (`own`: Conveyor's folder first). */
export function resolvePackage(
  name: string,
  folders: readonly string[],
  own = true,
): string | undefined {
  const bases = [
    ...(own ? [import.meta.url] : []),
    ...folders.map((f) => pathToFileURL(join(f, "noop.js")).href),
  ];
  for (const base of bases) {
    try {
      return createRequire(base).resolve(name);
    } catch {
      // not there: try the next folder
    }
  }
  return undefined;
}

export async function loadClaudeAgentSdk(
  folders: readonly string[],
  options: { own?: boolean } = {},
): Promise<LoadedClaudeAgentSdk> {
  const path = resolvePackage(CLAUDE_AGENT_SDK, folders, options.own ?? true);
  if (!path)
    throw new ClaudeAgentSdkMissingError(
      `agent.runner: claude-code needs the Claude Agent SDK, which is not installed: run \`npm install ${CLAUDE_AGENT_SDK}@${CLAUDE_AGENT_SDK_RANGE}\` (next to Conveyor, or in the repository before the agent step); it brings Claude Code's binary, about 440 MB`,
    );
  const sdk = (await import(pathToFileURL(path).href)) as ClaudeAgentSdk;
  if (typeof sdk.query !== "function" || typeof sdk.createSdkMcpServer !== "function")
    throw new ClaudeAgentSdkMissingError(
      `${CLAUDE_AGENT_SDK} at ${path} has no query() or createSdkMcpServer(): install ${CLAUDE_AGENT_SDK}@${CLAUDE_AGENT_SDK_RANGE}`,
    );
  const zodPath = resolvePackage("zod", [dirname(path)], false);
  const z = (await import(zodPath ? pathToFileURL(zodPath).href : "zod")) as Zod;
  return { sdk, z, path };
}

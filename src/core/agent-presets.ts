/**
 * Presets of `agent.runner: command` for the coding-agent CLIs users run. Each expands to the
 * documented non-interactive invocation (the prompt arrives on stdin), the environment
 * variables the tool needs passed through (its API keys), and the parser of its output.
 * Pure data: the agent runner reads it, the config expands `agent.preset` with it.
 */
export const AGENT_PRESETS = ["claude-code-cli", "codex", "aider", "openhands"] as const;
export type AgentPreset = (typeof AGENT_PRESETS)[number];

export const OUTPUT_FORMATS = [
  "report",
  "claude-json",
  "codex-jsonl",
  "aider",
  "openhands-jsonl",
] as const;
export type OutputFormatName = (typeof OUTPUT_FORMATS)[number];

export interface PresetSpec {
  /** argv; the prompt is piped to stdin. */
  argv: string[];
  output: OutputFormatName;
  /** Variables passed through from the runner's environment when set. */
  env: string[];
  /** Flag that takes the role's turn limit, if the tool has one. */
  maxTurnsFlag?: string;
}

export const PRESET_SPECS: Record<AgentPreset, PresetSpec> = {
  // `claude -p` reads the prompt from stdin; one JSON result object with total_cost_usd.
  "claude-code-cli": {
    argv: ["claude", "-p", "--output-format", "json", "--permission-mode", "acceptEdits"],
    output: "claude-json",
    env: ["ANTHROPIC_API_KEY", "ANTHROPIC_BASE_URL", "CLAUDE_CODE_OAUTH_TOKEN"],
    maxTurnsFlag: "--max-turns",
  },
  // `codex exec -` reads the prompt from stdin; --json prints JSONL events.
  codex: {
    argv: ["codex", "exec", "--json", "--full-auto", "--skip-git-repo-check", "-"],
    output: "codex-jsonl",
    env: ["OPENAI_API_KEY", "CODEX_API_KEY", "OPENAI_BASE_URL"],
  },
  // aider: one message, every confirmation answered yes; Conveyor commits, not aider.
  aider: {
    argv: [
      "aider",
      "--message-file",
      "/dev/stdin",
      "--yes-always",
      "--no-auto-commits",
      "--no-pretty",
      "--no-stream",
      "--no-check-update",
    ],
    output: "aider",
    env: ["OPENAI_API_KEY", "ANTHROPIC_API_KEY", "AIDER_MODEL", "OPENROUTER_API_KEY"],
  },
  // OpenHands CLI headless mode (always-approve), JSONL events with --json.
  openhands: {
    argv: ["openhands", "--headless", "--json", "--file", "/dev/stdin"],
    output: "openhands-jsonl",
    env: ["LLM_API_KEY", "LLM_MODEL", "LLM_BASE_URL"],
  },
};

export function shellQuote(s: string): string {
  return /^[A-Za-z0-9_./@%+=:,-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

/** The shell command of a preset with extra arguments appended. */
export function presetCommand(preset: AgentPreset, args: readonly string[] = []): string {
  return [...PRESET_SPECS[preset].argv, ...args].map(shellQuote).join(" ");
}

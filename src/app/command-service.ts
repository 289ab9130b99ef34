import type { StepContext } from "./step-context.js";

/** A comment parsed as a `/conveyor` command, or the reason it is not a valid one. */
export type CommandParse<C> = { ok: true; command: C; text: string } | { ok: false; error: string };

/** What applying an accepted command gives: a reply (e.g. `/conveyor status`), or a refusal. */
export type CommandApplied =
  | { accepted: true; reply?: string }
  | { accepted: false; reason: string };

/**
 * Parses and applies comment commands. The app checks the author's permission between
 * the two; the implementation plans the command against the board and executes its
 * effects (`src/core/commands.ts` + the GitHub executor).
 */
export interface CommandService<C = unknown> {
  /** Undefined when the comment holds no `/conveyor` command at all. */
  parse(body: string): CommandParse<C> | undefined;
  apply(
    ctx: StepContext,
    input: { issue: number; command: C; actor: string },
  ): Promise<CommandApplied>;
}

import { ESCALATION_CHOICES } from "../core/effects.js";
import { cell } from "./format-status-comment.js";

/** The first line of every escalation comment. */
export const ESCALATION_HEADER = "### Conveyor needs a maintainer";

/** The comment that escalates a task to a maintainer and offers the choices. */
export function formatEscalation(reason: string, choices: readonly string[]): string {
  const offered = choices.length > 0 ? choices : ESCALATION_CHOICES;
  return [
    ESCALATION_HEADER,
    "",
    `This task is escalated: ${cell(reason)}`,
    "",
    "Choose one:",
    ...offered.map((c) => `- ${c}`),
    "",
    "Only users with write access can give commands.",
  ].join("\n");
}

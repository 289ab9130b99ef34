/**
 * The core words things for both modes, GitHub's way ("PR #12", labels). In local mode a
 * task's "pull request" is its branch (number 0) and there are no labels: these rewrite the
 * core's text before it reaches the user (log, tracking files, state, escalation reports).
 */
export function localText(text: string): string {
  return text
    .replace(/ \(PR 0 @ /g, " (@ ")
    .replace(/\bPR #0\b/g, "the branch")
    .replace(/\(schedule it with the `[^`]*` label first\)/g, "(add it to TODO.md first)");
}

/** `value` with every string in it (deeply) passed through `localText`. */
export function localWording<T>(value: T): T {
  if (typeof value === "string") return localText(value) as T;
  if (Array.isArray(value)) return value.map((v) => localWording(v)) as T;
  if (typeof value === "object" && value !== null) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) out[k] = localWording(v);
    return out as T;
  }
  return value;
}

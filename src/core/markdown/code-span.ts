/**
 * Markdown code spans for the values Conveyor writes in the tracking files (paths,
 * branch names), so a value with commas, `*` or backticks survives being written and read.
 */

/** `src/a.ts` → "`src/a.ts`"; a value holding backticks gets a longer fence (CommonMark). */
export function codeSpan(value: string): string {
  let longest = 0;
  for (const run of value.match(/`+/g) ?? []) longest = Math.max(longest, run.length);
  const fence = "`".repeat(longest + 1);
  const pad = value.startsWith("`") || value.endsWith("`") || /^ .*[^ ].* $/.test(value);
  return pad ? `${fence} ${value} ${fence}` : `${fence}${value}${fence}`;
}

export interface CodeSpanRead {
  value: string;
  /** Index just past the closing fence. */
  end: number;
}

/** Reads the code span that starts at `from`; undefined when there is none (or unclosed). */
export function readCodeSpan(text: string, from: number): CodeSpanRead | undefined {
  const open = /^`+/.exec(text.slice(from));
  if (!open) return undefined;
  const n = open[0].length;
  let i = from + n;
  while (i < text.length) {
    const next = text.indexOf("`", i);
    if (next < 0) return undefined;
    let j = next;
    while (text[j] === "`") j++;
    if (j - next === n) {
      let value = text.slice(from + n, next);
      if (value.length >= 2 && value.startsWith(" ") && value.endsWith(" ") && value.trim()) {
        value = value.slice(1, -1);
      }
      return { value, end: j };
    }
    i = j;
  }
  return undefined;
}

/**
 * A comma-separated list of values: code spans (as written by Conveyor) or bare words
 * (as typed by people, e.g. `a.ts, b.ts`). Empty items are dropped.
 */
export function readValueList(text: string): string[] {
  const values: string[] = [];
  let i = 0;
  while (i < text.length) {
    while (text[i] === " " || text[i] === "\t") i++;
    if (i >= text.length) break;
    const span = text[i] === "`" ? readCodeSpan(text, i) : undefined;
    if (span) {
      values.push(span.value);
      i = span.end;
      const comma = text.indexOf(",", i);
      i = comma < 0 ? text.length : comma + 1;
      continue;
    }
    const comma = text.indexOf(",", i);
    const word = text.slice(i, comma < 0 ? text.length : comma).trim();
    if (word) values.push(word);
    i = comma < 0 ? text.length : comma + 1;
  }
  return values;
}

/**
 * A task's locations: the file paths of its issue's "Location" section (the workflow's task
 * template). Two tasks overlap when they name the same file, or one names a folder the other
 * reaches into.
 */

/**
 * `./src/a.ts` -> `src/a.ts`; `src/` -> `src`; backslashes -> slashes; line numbers as the
 * task template writes them (`src/db.ts:42`, `src/db.ts:120-130`, `src/db.ts#L12-L30`)
 * dropped: a location is a file.
 */
export function normalizePath(path: string): string {
  let p = path
    .trim()
    .replace(/\\/g, "/")
    .replace(/^`|`$/g, "")
    .replace(/(?::\d+(?:-\d+)?|#L\d+(?:-L?\d+)?)$/, "");
  while (p.startsWith("./")) p = p.slice(2);
  p = p.replace(/\/+/g, "/").replace(/\/$/, "");
  return p;
}

/** Paths of `a` that overlap a path of `b` (same file, or one inside the other's folder). */
export function overlappingLocations(a: readonly string[], b: readonly string[]): string[] {
  const out: string[] = [];
  const nb = b.map(normalizePath).filter((p) => p !== "");
  for (const raw of a) {
    const p = normalizePath(raw);
    if (p === "") continue;
    if (nb.some((q) => q === p || p.startsWith(`${q}/`) || q.startsWith(`${p}/`))) out.push(p);
  }
  return [...new Set(out)];
}

const LOCATION_HEADING = /^(?:#{1,6}\s*|\*\*)?\s*locations?\s*(?:\*\*)?\s*:?\s*(?:\*\*)?\s*(.*)$/i;

/**
 * Paths named in the "Location" section of a task description: a `## Location` heading
 * followed by list items, or a `Location: a.ts, b.ts` line. Paths are taken from backticks
 * when present, else from the comma-separated text. Line numbers (`src/a.ts:12`) are dropped.
 */
export function parseLocations(body: string | undefined): string[] {
  if (!body) return [];
  const lines = body.replace(/<!--[\s\S]*?-->/g, "").split(/\r?\n/);
  const found: string[] = [];
  for (let i = 0; i < lines.length; i++) {
    const m = LOCATION_HEADING.exec(lines[i]!.replace(/^\s*[-*]\s+/, ""));
    if (!m) continue;
    const isHeading = /^\s*#/.test(lines[i]!);
    const rest = m[1] ?? "";
    if (rest.trim() !== "") found.push(...pathsIn(rest));
    if (!isHeading && rest.trim() !== "") continue;
    for (let j = i + 1; j < lines.length; j++) {
      const line = lines[j]!;
      if (/^\s*#/.test(line)) break;
      if (line.trim() === "") {
        if (found.length > 0) break;
        continue;
      }
      if (!/^\s*[-*+]\s+/.test(line) && !/`/.test(line)) break;
      found.push(...pathsIn(line.replace(/^\s*[-*+]\s+/, "")));
    }
  }
  return [...new Set(found.map(normalizePath).filter((p) => p !== ""))];
}

function pathsIn(text: string): string[] {
  const ticked = [...text.matchAll(/`([^`]+)`/g)].map((m) => m[1]!);
  const candidates = ticked.length > 0 ? ticked : text.split(/[,;]|\s+and\s+/);
  return candidates
    .map((c) =>
      c
        .trim()
        .replace(/(?::\d+(?:-\d+)?|#L\d+(?:-L?\d+)?)$/, "")
        .replace(/\s*\(.*\)$/, ""),
    )
    .filter((c) => /^[\w.@/-][\w.@/*-]*$/.test(c) && /[./]/.test(c));
}

/**
 * Locations held by tasks, indexed so that "does this task touch a held file?" costs the
 * depth of its paths, not the number of holders: each held path is kept as itself and under
 * every folder above it. Holders are numbered in the order they were added; `first` answers
 * the earliest one that overlaps (the one a linear scan would find first).
 */
export class LocationIndex<H> {
  /** Normalised path -> holders naming exactly it. */
  private readonly exact = new Map<string, number[]>();
  /** Folder -> holders naming a path inside it. */
  private readonly inside = new Map<string, number[]>();
  private readonly holders: { holder: H; paths: readonly string[] }[] = [];

  add(holder: H, paths: readonly string[]): void {
    const n = this.holders.length;
    this.holders.push({ holder, paths });
    for (const p of paths) {
      push(this.exact, p, n);
      for (let i = p.lastIndexOf("/"); i > 0; i = p.lastIndexOf("/", i - 1))
        push(this.inside, p.slice(0, i), n);
    }
  }

  /** The earliest holder (other than `self`) whose locations overlap `paths` (normalised). */
  first(paths: readonly string[], self?: H): { holder: H; paths: string[] } | undefined {
    let best = Number.POSITIVE_INFINITY;
    const consider = (list: number[] | undefined) => {
      if (!list) return;
      for (const n of list) if (n < best && this.holders[n]!.holder !== self) best = n;
    };
    for (const p of paths) {
      consider(this.exact.get(p));
      consider(this.inside.get(p));
      for (let i = p.lastIndexOf("/"); i > 0; i = p.lastIndexOf("/", i - 1))
        consider(this.exact.get(p.slice(0, i)));
    }
    if (best === Number.POSITIVE_INFINITY) return undefined;
    const found = this.holders[best]!;
    return { holder: found.holder, paths: overlappingLocations(paths, found.paths) };
  }
}

/** A task's locations as the index keeps them: normalised, without empty ones, unique. */
export function normalizedLocations(paths: readonly string[]): string[] {
  return [...new Set(paths.map(normalizePath).filter((p) => p !== ""))];
}

function push(map: Map<string, number[]>, key: string, n: number): void {
  const list = map.get(key);
  if (list) list.push(n);
  else map.set(key, [n]);
}

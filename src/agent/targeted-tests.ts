import picomatch from "picomatch";
import type { Config } from "../core/config.js";

/**
 * Chooses the test commands aimed at the changed files. Config rules first (glob → command
 * with `{files}`); without a matching rule, the conventions of the repository's runner:
 * vitest / jest related-file options, `tests/unit/test_<module>.py` for pytest.
 * Pure: the caller passes what it read of the repository.
 */
export interface RepoFacts {
  /** Parsed package.json, if any. */
  packageJson?: { dependencies?: Record<string, string>; devDependencies?: Record<string, string> };
  exists: (path: string) => boolean;
}

export function shellQuote(s: string): string {
  return /^[A-Za-z0-9_./@%+=:,-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

export function selectTestCommands(
  changed: string[],
  rules: Config["tests"]["rules"],
  repo: RepoFacts,
): string[] {
  const present = changed.filter((f) => repo.exists(f));
  const commands: string[] = [];
  for (const rule of rules) {
    const isMatch = picomatch(rule.glob, { dot: true });
    const files = present.filter((f) => isMatch(f));
    if (files.length > 0)
      commands.push(rule.command.replaceAll("{files}", files.map(shellQuote).join(" ")));
  }
  if (commands.length > 0) return commands;

  const deps = { ...repo.packageJson?.dependencies, ...repo.packageJson?.devDependencies };
  const js = present.filter((f) => /\.(c|m)?(j|t)sx?$/.test(f));
  if (js.length > 0 && deps.vitest)
    commands.push(`npx vitest related --run ${js.map(shellQuote).join(" ")}`);
  else if (js.length > 0 && deps.jest)
    commands.push(`npx jest --findRelatedTests ${js.map(shellQuote).join(" ")}`);

  const py = new Set<string>();
  for (const f of present.filter((p) => p.endsWith(".py"))) {
    const base = f.split("/").pop()!;
    if (/^test_.*\.py$|_test\.py$/.test(base)) {
      py.add(f);
      continue;
    }
    const module = base.replace(/\.py$/, "");
    for (const candidate of [`tests/unit/test_${module}.py`, `tests/test_${module}.py`])
      if (repo.exists(candidate)) py.add(candidate);
  }
  if (py.size > 0) commands.push(`python -m pytest -q ${[...py].sort().map(shellQuote).join(" ")}`);
  return commands;
}

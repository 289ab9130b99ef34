/**
 * The environment of commands the agent runs (its shell, the tester's test commands, an
 * external agent command), built from an allowlist: only names a build or a test needs
 * (paths, locale, terminal, toolchain homes) pass. Everything else stays behind: tokens and
 * keys, the Action's inputs (`INPUT_*`), the runner's files that change later steps
 * (`GITHUB_ENV`, `GITHUB_PATH`, `GITHUB_OUTPUT`, `GITHUB_STATE`), connection strings
 * (`DATABASE_URL`), webhook URLs and proxies with credentials. A denylist always misses a
 * name; this one can only miss a harmless variable, which the config can pass by name.
 */
const ALLOWED_NAMES = new Set([
  "PATH",
  "HOME",
  "USER",
  "LOGNAME",
  "SHELL",
  "LANG",
  "LANGUAGE",
  "TZ",
  "TERM",
  "COLORTERM",
  "NO_COLOR",
  "FORCE_COLOR",
  "TMPDIR",
  "CI",
  "DEBIAN_FRONTEND",
  // Toolchains (where compilers and package managers live).
  "JAVA_HOME",
  "GOROOT",
  "GOPATH",
  "GOFLAGS",
  "CARGO_HOME",
  "RUSTUP_HOME",
  "RUSTUP_TOOLCHAIN",
  "PNPM_HOME",
  "NVM_DIR",
  "NVM_BIN",
  "VIRTUAL_ENV",
  "PYENV_ROOT",
  "PIPX_HOME",
  "PIPX_BIN_DIR",
  "CONDA",
  "DOTNET_ROOT",
  "ANDROID_HOME",
  "ANDROID_SDK_ROOT",
  "CHROME_BIN",
  // The runner's description (never its files or tokens).
  "GITHUB_ACTIONS",
  "RUNNER_OS",
  "RUNNER_ARCH",
  "ImageOS",
  "ImageVersion",
]);

/** Prefixes whose every name passes (locale categories, toolchain versions). */
const ALLOWED_PREFIXES = ["LC_", "JAVA_HOME_", "GOROOT_"];

/**
 * Names that never pass, even when the config names them: they let a command change what the
 * runner does in later steps, or talk to the runner's services.
 */
const NEVER = /^(GITHUB_(ENV|PATH|OUTPUT|STATE|STEP_SUMMARY|TOKEN)|ACTIONS_.*|INPUT_.*)$/i;

/** A value that carries credentials in a URL (`scheme://user:pass@host`). */
const CREDENTIALED_URL = /^[a-z][a-z0-9+.-]*:\/\/[^/\s@]*:[^/\s@]*@/i;

function allowedName(name: string): boolean {
  if (NEVER.test(name)) return false;
  return ALLOWED_NAMES.has(name) || ALLOWED_PREFIXES.some((p) => name.startsWith(p));
}

export interface AgentEnvOptions {
  /** Further names to pass as they are (the config's `agent.env`); never the runner's files. */
  passThrough?: readonly string[];
  /** Variables set on top (e.g. `CI=true`). */
  extra?: Record<string, string>;
}

/** The allowlisted environment for commands of the agent (see the module comment). */
export function buildAgentEnv(
  base: Record<string, string | undefined>,
  options: AgentEnvOptions = {},
): Record<string, string> {
  const passThrough = new Set((options.passThrough ?? []).filter((n) => !NEVER.test(n)));
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(base)) {
    if (value === undefined) continue;
    if (passThrough.has(name)) {
      out[name] = value;
      continue;
    }
    if (!allowedName(name) || CREDENTIALED_URL.test(value)) continue;
    out[name] = value;
  }
  return { ...out, ...options.extra };
}

/** `buildAgentEnv` with variables set on top: the shape the roles call. */
export function scrubEnv(
  env: Record<string, string | undefined>,
  extra: Record<string, string> = {},
): Record<string, string> {
  return buildAgentEnv(env, { extra });
}

/**
 * How Conveyor itself runs git, in every mode: nothing the agent (or anyone else) wrote
 * outside the repository's own `.git/config` changes what git runs. Global and system
 * configuration are off (`GIT_CONFIG_GLOBAL=/dev/null`, `GIT_CONFIG_NOSYSTEM=1`): an agent's
 * shell that writes `~/.gitconfig` (a clean filter, an fsmonitor command, a credential
 * helper) and `~/.config/git/attributes` cannot make Conveyor's `git add -A` run it. The
 * environment is minimal: the parent's `INPUT_*`, tokens and the rest stay behind, so a
 * command git would run anyway sees no secret. Credentials for fetch and push go through
 * `GIT_CONFIG_COUNT/KEY/VALUE` (never the command line, which error messages quote), and
 * every error text is redacted of them.
 */

/** Names of the parent's environment that git calls keep. */
const KEEP = new Set([
  "PATH",
  "HOME",
  "USER",
  "LOGNAME",
  "LANG",
  "TZ",
  "TMPDIR",
  "SYSTEMROOT",
  // A user's ssh agent and identity for Conveyor's commits (local mode).
  "SSH_AUTH_SOCK",
  "GIT_AUTHOR_NAME",
  "GIT_AUTHOR_EMAIL",
  "GIT_COMMITTER_NAME",
  "GIT_COMMITTER_EMAIL",
  "GIT_AUTHOR_DATE",
  "GIT_COMMITTER_DATE",
]);

export interface SafeGitEnvOptions {
  /** Config given only to this call (`GIT_CONFIG_COUNT`), e.g. the push credentials. */
  config?: Record<string, string>;
}

/** The environment of a git call: minimal, no global or system configuration. */
export function safeGitEnv(
  base: Record<string, string | undefined> = process.env,
  options: SafeGitEnvOptions = {},
): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(base))
    if (v !== undefined && (KEEP.has(k) || k.startsWith("LC_"))) env[k] = v;
  env.PATH ??= "/usr/local/bin:/usr/bin:/bin";
  Object.assign(env, {
    GIT_CONFIG_GLOBAL: "/dev/null",
    GIT_CONFIG_NOSYSTEM: "1",
    GIT_ATTR_NOSYSTEM: "1",
    GIT_TERMINAL_PROMPT: "0",
    GIT_EDITOR: "true",
    GIT_PAGER: "cat",
  });
  const config = Object.entries(options.config ?? {});
  env.GIT_CONFIG_COUNT = String(config.length);
  config.forEach(([key, value], i) => {
    env[`GIT_CONFIG_KEY_${i}`] = key;
    env[`GIT_CONFIG_VALUE_${i}`] = value;
  });
  return env;
}

/**
 * `-c` options every call gets: no attributes or excludes file from outside the repository,
 * no fsmonitor command, no signing, no pager. `hooks: "off"` (the default) also runs no
 * hook at all: the agent's workspace is the agent's to write. Local mode keeps the user's
 * repository hooks for Conveyor's commits in the user's own repository (`hooks: "repo"`).
 * `attributesFile`: Conveyor's own attributes file for this call (local mode's merge
 * drivers for the tracking files), in place of none.
 */
export function safeGitArgs(
  options: { hooks?: "off" | "repo"; attributesFile?: string } = {},
): string[] {
  return [
    ...(options.hooks === "repo" ? [] : ["-c", "core.hooksPath=/dev/null"]),
    "-c",
    "core.fsmonitor=false",
    "-c",
    `core.attributesFile=${options.attributesFile ?? "/dev/null"}`,
    "-c",
    "core.excludesFile=/dev/null",
    "-c",
    "commit.gpgsign=false",
    "-c",
    "tag.gpgsign=false",
    "-c",
    "core.pager=cat",
    "-c",
    "color.ui=false",
  ];
}

/** The `http.extraheader` value that authenticates as the GitHub App installation token. */
export function basicAuthHeader(token: string): string {
  return `AUTHORIZATION: basic ${Buffer.from(`x-access-token:${token}`).toString("base64")}`;
}

/** The forms a token takes in text: itself, and the base64 of the basic-auth pair. */
export function secretForms(token: string): string[] {
  if (token === "") return [];
  return [token, Buffer.from(`x-access-token:${token}`).toString("base64")];
}

/**
 * The secrets hidden in config values: each value, and for an `AUTHORIZATION: basic …`
 * header its base64 and the password inside.
 */
export function secretsOfConfig(config: Record<string, string>): string[] {
  const out: string[] = [];
  for (const value of Object.values(config)) {
    if (value === "") continue;
    out.push(value);
    const basic = /authorization:\s*basic\s+(\S+)/i.exec(value)?.[1];
    if (basic) {
      out.push(basic);
      const decoded = Buffer.from(basic, "base64").toString("utf8");
      const password = decoded.slice(decoded.indexOf(":") + 1);
      if (password.length >= 4) out.push(decoded, password);
    }
    const bearer = /authorization:\s*(?:bearer|token)\s+(\S+)/i.exec(value)?.[1];
    if (bearer) out.push(bearer);
  }
  return out;
}

/** `text` with every secret replaced by `***` (longest first, so no part is left). */
export function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of [...new Set(secrets)]
    .filter((x) => x.length >= 4)
    .sort((a, b) => b.length - a.length))
    out = out.split(s).join("***");
  return out;
}

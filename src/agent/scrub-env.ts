/**
 * The environment of commands the agent runs: the parent's environment without anything
 * that looks like a credential (API keys, tokens, secrets, passwords, private keys), so a
 * prompt-injected command cannot read them.
 */
const SECRET_NAME =
  /(KEY|TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIAL|AUTH|COOKIE|SESSION|PRIVATE|CERT)/i;
const SECRET_EXACT = new Set([
  "ACTIONS_RUNTIME_URL",
  "ACTIONS_ID_TOKEN_REQUEST_URL",
  "ACTIONS_CACHE_URL",
  "ACTIONS_RESULTS_URL",
  "GITHUB_TOKEN",
  "GH_TOKEN",
  "NPM_CONFIG__AUTH",
]);

export function scrubEnv(
  env: Record<string, string | undefined>,
  extra: Record<string, string> = {},
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) {
    if (v === undefined) continue;
    if (SECRET_NAME.test(k) || SECRET_EXACT.has(k.toUpperCase())) continue;
    if (k.startsWith("INPUT_")) continue; // Action inputs (github-token, anthropic-api-key)
    out[k] = v;
  }
  return { ...out, ...extra };
}

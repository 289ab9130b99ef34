// `npm run release -- X.Y.Z`: makes release X.Y.Z of Conveyor in this clone, locally.
//
// 1. The work tree is clean, X.Y.Z is a new version, and CHANGELOG.md's Unreleased section
//    says what changed.
// 2. dist/ matches the sources (the bundles are rebuilt and compared with the committed ones:
//    the Action runs the committed dist/index.js, so a stale one would ship old code).
// 3. The Unreleased section becomes `## [X.Y.Z] - <date>` under a fresh, empty Unreleased;
//    package.json and package-lock.json get the version; one commit "Release vX.Y.Z".
// 4. Tags: `vX.Y.Z` (annotated) on that commit, and the major tag `vX` moved to it, which is
//    what the workflow templates reference (`conveyor-dev/conveyor@v1`).
//
// Nothing is pushed: the script prints the push and publish commands to run next.

import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const REPO_URL = "https://github.com/conveyor-dev/conveyor";

function fail(message) {
  console.error(`release: ${message}`);
  process.exit(1);
}

function git(args, opts = {}) {
  return execFileSync("git", args, { cwd: root, encoding: "utf8", ...opts }).trim();
}

function gitOk(args) {
  try {
    git(args, { stdio: ["ignore", "pipe", "ignore"] });
    return true;
  } catch {
    return false;
  }
}

const args = process.argv.slice(2).filter((a) => a !== "--");
const version = args[0];
if (args.length !== 1 || !version)
  fail("usage: npm run release -- X.Y.Z   (e.g. npm run release -- 1.2.0)");
if (!/^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$/.test(version))
  fail(`"${version}" is not a version X.Y.Z (digits only, no leading "v")`);
const major = `v${version.split(".")[0]}`;
const tag = `v${version}`;

// 1. Preconditions that need no build.
const dirty = git(["status", "--porcelain", "--untracked-files=normal"]);
if (dirty)
  fail(`the work tree is not clean; commit or stash first:\n${dirty.replace(/^/gm, "  ")}`);
if (gitOk(["rev-parse", "--verify", "--quiet", `refs/tags/${tag}`]))
  fail(`tag ${tag} exists already: choose a new version`);

const pkgPath = join(root, "package.json");
const pkg = JSON.parse(readFileSync(pkgPath, "utf8"));
if (
  compareVersions(version, pkg.version) <= 0 &&
  gitOk(["rev-parse", "--verify", "--quiet", `refs/tags/v${pkg.version}`])
)
  fail(`${version} is not newer than the released ${pkg.version}`);

const changelogPath = join(root, "CHANGELOG.md");
const changelog = readFileSync(changelogPath, "utf8");
const released = releaseChangelog(changelog, version, new Date().toISOString().slice(0, 10));
if (released instanceof Error) fail(released.message);

// 2. dist/ matches the sources.
console.log("release: rebuilding dist/ to compare it with the committed one…");
try {
  execFileSync(process.execPath, [join(root, "scripts", "build.mjs")], {
    cwd: root,
    stdio: ["ignore", "ignore", "inherit"],
  });
} catch {
  fail("the build failed (see above)");
}
const stale = git(["status", "--porcelain", "--untracked-files=all", "--", "dist"]);
if (stale) {
  git(["checkout", "--", "dist"]);
  git(["clean", "-fdq", "--", "dist"]);
  fail(
    `dist/ does not match the sources:\n${stale.replace(/^/gm, "  ")}\n` +
      "run `npm run build`, commit dist/, then release again",
  );
}

// 3. The release commit.
writeFileSync(changelogPath, released);
pkg.version = version;
writeFileSync(pkgPath, `${JSON.stringify(pkg, null, 2)}\n`);
const lockPath = join(root, "package-lock.json");
const lockText = readFileSync(lockPath, "utf8");
const lock = JSON.parse(lockText);
lock.version = version;
if (lock.packages?.[""]) lock.packages[""].version = version;
writeFileSync(lockPath, `${JSON.stringify(lock, null, 2)}\n`);
git(["add", "CHANGELOG.md", "package.json", "package-lock.json"]);
git(["commit", "--quiet", "-m", `Release ${tag}`]);

// 4. Tags.
git(["tag", "-a", tag, "-m", `Conveyor ${tag}`]);
git(["tag", "-f", "-a", major, "-m", `Conveyor ${major} (latest: ${tag})`], {
  stdio: ["ignore", "pipe", "pipe"],
});
const branch = git(["rev-parse", "--abbrev-ref", "HEAD"]);
console.log(
  [
    `release: ${tag} committed and tagged; ${major} now points at it.`,
    "Next:",
    `  git push origin ${branch} ${tag}`,
    `  git push --force origin ${major}     # moves the major tag the templates use`,
    "  npm publish                          # @conveyor-dev/conveyor on npm",
  ].join("\n"),
);

/** CHANGELOG.md with its Unreleased section released as `version`, or why it cannot be. */
function releaseChangelog(text, version, date) {
  const lines = text.split("\n");
  const start = lines.findIndex((l) => /^## \[?Unreleased\]?\s*$/i.test(l));
  if (start < 0) return new Error("CHANGELOG.md has no `## [Unreleased]` section");
  let end = start + 1;
  while (end < lines.length && !/^## /.test(lines[end]) && !/^\[[^\]]+\]:\s/.test(lines[end]))
    end++;
  const body = lines.slice(start + 1, end);
  if (!body.some((l) => /^\s*[-*] \S/.test(l)))
    return new Error("the Unreleased section of CHANGELOG.md lists no change: nothing to release");
  if (lines.some((l) => new RegExp(`^## \\[?${version.replace(/\./g, "\\.")}\\]?`).test(l)))
    return new Error(`CHANGELOG.md already has a section for ${version}`);
  const out = [
    ...lines.slice(0, start),
    "## [Unreleased]",
    "",
    `## [${version}] - ${date}`,
    ...body,
    ...lines.slice(end),
  ];
  // Link references (Keep a Changelog): Unreleased compares from the new tag.
  const refAt = out.findIndex((l) => /^\[Unreleased\]:\s/i.test(l));
  const previous = out
    .map((l) => l.match(/^## \[(\d+\.\d+\.\d+)\]/)?.[1])
    .filter((v) => v && v !== version)[0];
  const versionRef = previous
    ? `[${version}]: ${REPO_URL}/compare/v${previous}...v${version}`
    : `[${version}]: ${REPO_URL}/releases/tag/v${version}`;
  const unreleasedRef = `[Unreleased]: ${REPO_URL}/compare/v${version}...HEAD`;
  if (refAt >= 0) out.splice(refAt, 1, unreleasedRef, versionRef);
  else {
    while (out.length > 0 && out[out.length - 1] === "") out.pop();
    out.push("", unreleasedRef, versionRef, "");
  }
  return out.join("\n");
}

function compareVersions(a, b) {
  const pa = a.split(".").map(Number);
  const pb = String(b ?? "0.0.0")
    .split(".")
    .map(Number);
  for (let i = 0; i < 3; i++) if ((pa[i] ?? 0) !== (pb[i] ?? 0)) return (pa[i] ?? 0) - (pb[i] ?? 0);
  return 0;
}

/**
 * The demo's sample project: "textkit", a tiny plain-JavaScript library with a real
 * `node --test` suite (no npm install needed), a backlog of six tasks of mixed priority,
 * and a Conveyor config whose test rule runs the changed test files.
 */

const PACKAGE_JSON = `{
  "name": "textkit",
  "version": "0.1.0",
  "description": "Small text helpers (the Conveyor demo project).",
  "type": "module",
  "private": true,
  "scripts": { "test": "node --test test/" }
}
`;

const WORDCOUNT = `/** Number of words in \`text\`. */
export function wordCount(text) {
  return text.split(" ").length;
}
`;

const WORDCOUNT_TEST = `import assert from "node:assert/strict";
import { test } from "node:test";
import { wordCount } from "../src/wordcount.js";

test("counts the words of a sentence", () => {
  assert.equal(wordCount("the quick brown fox"), 4);
});
`;

const REVERSE = `/** \`text\` backwards, by UTF-16 code unit. */
export function reverse(text) {
  return text.split("").reverse().join("");
}
`;

const REVERSE_TEST = `import assert from "node:assert/strict";
import { test } from "node:test";
import { reverse } from "../src/reverse.js";

test("reverses ASCII text", () => {
  assert.equal(reverse("abc"), "cba");
});
`;

const README = `# textkit

Small text helpers, with tests: \`npm test\`.

## API

- \`wordCount(text)\`
- \`reverse(text)\`
`;

const CHANGELOG = `# Changelog

All notable changes to this project will be documented in this file.

The format is based on [Keep a Changelog](https://keepachangelog.com/en/1.1.0/),
and this project adheres to [Semantic Versioning](https://semver.org/spec/v2.0.0.html).

## [Unreleased]

## [0.1.0] - 2026-01-01

### Added

- \`wordCount\` and \`reverse\`.
`;

const CONVEYOR_YML = `# Conveyor configuration of the demo project (see \`conveyor init\` for every option).
tests:
  rules:
    # Targeted tests: the test files a task changed.
    - glob: "test/*.test.js"
      command: "node --test {files}"
merge:
  # Tasks whose changed files are disjoint merge as one batch, two at a time here.
  maxBatch: 2
  # A task in the merge queue waits up to this long for the tasks still in flight to join
  # its batch (it merges at once when none is left in flight).
  batchWindowSeconds: 120
roles:
  task: { timeoutMinutes: 2 }
  reviewer: { timeoutMinutes: 2 }
  tester: { timeoutMinutes: 2 }
`;

const TODO = `# TODO

<!-- Tasks for the agents, one list item each. Add your own while \`conveyor run\` works:
     "- [high] Title", with "- Location: path" and the description indented underneath. -->

- [high] Fix wordCount on empty and padded strings
  - Location: src/wordcount.js
  wordCount("") must be 0 and extra spaces must not count as words.
- [high] Add slugify(text)
  - Location: src/slugify.js
  "Hello, World!" becomes "hello-world": lower case, runs of other characters become one dash.
- [medium] Add truncate(text, max) that never cuts a word
  - Location: src/truncate.js
  Shorten to at most max characters at a word boundary and end with "…".
- [medium] Add titleCase(text)
  - Location: src/titlecase.js
  Upper-case the first letter of every word and lower-case the rest.
- [low] Make reverse() keep emoji and accents whole
  - Location: src/reverse.js
  Reverse by grapheme cluster, without adding a dependency.
- [low] Document the API in the README
  - Location: README.md
  One line per exported function, with an example.
`;

/** Every file of the sample project, path → content. */
export function sampleProjectFiles(): Record<string, string> {
  return {
    "package.json": PACKAGE_JSON,
    "src/wordcount.js": WORDCOUNT,
    "test/wordcount.test.js": WORDCOUNT_TEST,
    "src/reverse.js": REVERSE,
    "test/reverse.test.js": REVERSE_TEST,
    "README.md": README,
    "CHANGELOG.md": CHANGELOG,
    ".github/conveyor.yml": CONVEYOR_YML,
    "TODO.md": TODO,
    ".gitignore": "node_modules/\n",
  };
}

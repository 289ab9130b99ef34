import { script } from "../replay/index.js";
import type { ScriptedTurn } from "../replay/turns.js";

/**
 * The recorded agent conversations of the demo, one per run (keyed by correlation id
 * `<task>/<role>/<attempt>/<run>`), played by the fake Messages server to the real SDK and
 * agent loop. Every edit, command and commit they cause is real. The paths they take:
 *
 *  T1, T2, T6  task → review → tests pass → merge (disjoint files: they can merge as a batch)
 *  T3          the reviewer says "approach wrong"; the retried task agent gets it right
 *  T4          the targeted test fails; the tester's agent fixes the code
 *  T5          the task agent fails, and fails again on its retry: escalated
 *
 * A tester whose tests pass never calls the model, so it has no script.
 */
export function demoScripts(): Record<string, ScriptedTurn[]> {
  return {
    // T1: fix wordCount.
    "T1/task/0/1": script()
      .say("Let me read the current implementation.")
      .view("src/wordcount.js")
      .edit(
        "src/wordcount.js",
        'return text.split(" ").length;',
        "return text.split(/\\s+/).filter(Boolean).length;",
      )
      .edit(
        "test/wordcount.test.js",
        '  assert.equal(wordCount("the quick brown fox"), 4);\n});\n',
        '  assert.equal(wordCount("the quick brown fox"), 4);\n});\n\ntest("empty and padded strings", () => {\n  assert.equal(wordCount(""), 0);\n  assert.equal(wordCount("  two   words "), 2);\n});\n',
      )
      .finish({
        summary: "wordCount splits on runs of whitespace and ignores empty pieces.",
        found: 'split(" ") counted "" as one word and every extra space as another.',
        fixed: "Split on /\\s+/ and drop empty strings; tests for both cases.",
      })
      .turns(),
    "T1/reviewer/0/2": script()
      .view("src/wordcount.js")
      .finish({
        summary: "Correct and minimal; the new tests cover both cases.",
        verdict: "approve",
      })
      .turns(),

    // T2: slugify.
    "T2/task/0/1": script()
      .list("src")
      .create(
        "src/slugify.js",
        '/** URL slug of `text`: lower case, runs of other characters become one dash. */\nexport function slugify(text) {\n  return text\n    .toLowerCase()\n    .normalize("NFKD")\n    .replace(/[\\u0300-\\u036f]/g, "")\n    .replace(/[^a-z0-9]+/g, "-")\n    .replace(/^-+|-+$/g, "");\n}\n',
      )
      .create(
        "test/slugify.test.js",
        'import assert from "node:assert/strict";\nimport { test } from "node:test";\nimport { slugify } from "../src/slugify.js";\n\ntest("slugifies a title", () => {\n  assert.equal(slugify("Hello, World!"), "hello-world");\n  assert.equal(slugify("  Crème brûlée  "), "creme-brulee");\n});\n',
      )
      .bash("node --check src/slugify.js")
      .finish({ summary: "Added slugify() with tests.", fixed: "New src/slugify.js." })
      .turns(),
    "T2/reviewer/0/2": script()
      .view("src/slugify.js")
      .finish({ summary: "Handles accents and punctuation; good tests.", verdict: "approve" })
      .turns(),

    // T3: the first approach cuts words; the reviewer sends it back.
    "T3/task/0/1": script()
      .create(
        "src/truncate.js",
        '/** `text` shortened to `max` characters. */\nexport function truncate(text, max) {\n  return text.length <= max ? text : text.slice(0, max - 3) + "...";\n}\n',
      )
      .finish({ summary: "Added truncate() that slices and appends three dots." })
      .turns(),
    "T3/reviewer/0/2": script()
      .view("src/truncate.js")
      .finish({
        summary:
          "Approach wrong: slicing at max-3 cuts words in half, and the task asks for a single … character at a word boundary. Cut at the last space that fits, then append …; add tests.",
        verdict: "approach_wrong",
        comments: [
          { path: "src/truncate.js", line: 3, body: "This cuts in the middle of a word." },
        ],
      })
      .turns(),
    "T3/task/1/3": script()
      .say("The review asks for a cut at a word boundary; rewriting.")
      .view("src/truncate.js")
      .create(
        "src/truncate.js",
        '/** `text` shortened to at most `max` characters at a word boundary, ending with "…". */\nexport function truncate(text, max) {\n  if (text.length <= max) return text;\n  const room = text.slice(0, max - 1);\n  const cut = room.lastIndexOf(" ");\n  return (cut > 0 ? room.slice(0, cut) : room).trimEnd() + "…";\n}\n',
      )
      .create(
        "test/truncate.test.js",
        'import assert from "node:assert/strict";\nimport { test } from "node:test";\nimport { truncate } from "../src/truncate.js";\n\ntest("keeps short text", () => {\n  assert.equal(truncate("short", 10), "short");\n});\n\ntest("cuts at a word boundary", () => {\n  assert.equal(truncate("the quick brown fox", 12), "the quick…");\n});\n',
      )
      .finish({
        summary: "truncate() now cuts at the last space that fits and appends …, with tests.",
      })
      .turns(),
    "T3/reviewer/0/4": script()
      .view("src/truncate.js")
      .finish({ summary: "Word boundary respected; tests cover both paths.", verdict: "approve" })
      .turns(),

    // T4: the implementation forgets to lower-case; the tester's run fails and it fixes it.
    "T4/task/0/1": script()
      .create(
        "src/titlecase.js",
        "/** Every word of `text` with its first letter upper-cased. */\nexport function titleCase(text) {\n  return text.replace(/\\S+/g, (w) => w[0].toUpperCase() + w.slice(1));\n}\n",
      )
      .create(
        "test/titlecase.test.js",
        'import assert from "node:assert/strict";\nimport { test } from "node:test";\nimport { titleCase } from "../src/titlecase.js";\n\ntest("title-cases mixed input", () => {\n  assert.equal(titleCase("hELLO wORLD"), "Hello World");\n});\n',
      )
      .finish({ summary: "Added titleCase() with a test." })
      .turns(),
    "T4/reviewer/0/2": script()
      .view("src/titlecase.js")
      .finish({ summary: "Looks right; the tester will confirm.", verdict: "approve" })
      .turns(),
    "T4/tester/0/3": script()
      .say("The test expects the rest of each word in lower case.")
      .view("src/titlecase.js")
      .edit("src/titlecase.js", "w.slice(1)", "w.slice(1).toLowerCase()")
      .bash("node --test test/titlecase.test.js")
      .finish({
        summary: "titleCase now lower-cases the rest of each word; the test passes.",
        fixed: "src/titlecase.js",
      })
      .turns(),

    // T5: cannot be done as asked, twice: escalated to a person.
    "T5/task/0/1": script()
      .view("src/reverse.js")
      .search("Segmenter")
      .finish({
        outcome: "failed",
        summary:
          "Grapheme-aware reversal needs Intl.Segmenter data this project cannot rely on without a dependency.",
      })
      .turns(),
    "T5/task/1/2": script()
      .view("src/reverse.js")
      .finish({
        outcome: "failed",
        summary:
          "Still blocked: the task forbids a dependency, and a hand-written grapheme splitter is out of scope.",
      })
      .turns(),

    // T6: documentation.
    "T6/task/0/1": script()
      .view("README.md")
      .edit(
        "README.md",
        "- `wordCount(text)`\n- `reverse(text)`\n",
        '- `wordCount(text)`: words in `text` — `wordCount("a b") === 2`\n- `reverse(text)`: `text` backwards — `reverse("abc") === "cba"`\n',
      )
      .finish({ summary: "Documented the API with examples." })
      .turns(),
    "T6/reviewer/0/2": script()
      .view("README.md")
      .finish({ summary: "Clear and accurate.", verdict: "approve" })
      .turns(),
  };
}

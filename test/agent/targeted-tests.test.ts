import { describe, expect, it } from "vitest";
import { type RepoFacts, selectTestCommands } from "../../src/agent/targeted-tests.js";

const all = () => true;

interface Case {
  name: string;
  changed: string[];
  rules: { glob: string; command: string }[];
  pkg: RepoFacts["packageJson"];
  exists?: (p: string) => boolean;
  expected: string[];
}

describe("selectTestCommands", () => {
  it.each<Case>([
    {
      name: "config rule with {files}, shell-quoted",
      changed: ["src/a.ts", "src/my file.ts", "README.md"],
      rules: [{ glob: "src/**/*.ts", command: "npm test -- {files}" }],
      pkg: undefined,
      expected: ["npm test -- src/a.ts 'src/my file.ts'"],
    },
    {
      name: "rules win over conventions",
      changed: ["src/a.ts"],
      rules: [{ glob: "src/**", command: "make test" }],
      pkg: { devDependencies: { vitest: "4" } },
      expected: ["make test"],
    },
    {
      name: "vitest related",
      changed: ["src/a.ts", "docs/x.md"],
      rules: [],
      pkg: { devDependencies: { vitest: "4" } },
      expected: ["npx vitest related --run src/a.ts"],
    },
    {
      name: "jest findRelatedTests",
      changed: ["lib/b.js"],
      rules: [],
      pkg: { devDependencies: { jest: "29" } },
      expected: ["npx jest --findRelatedTests lib/b.js"],
    },
    {
      name: "pytest conventions",
      changed: ["pkg/geo/shapes.py", "tests/unit/test_other.py", "pkg/none.py"],
      rules: [],
      pkg: undefined,
      exists: (p: string) =>
        p !== "tests/unit/test_none.py" &&
        p !== "tests/test_none.py" &&
        p !== "tests/test_shapes.py",
      expected: ["python3 -m pytest -q tests/unit/test_other.py tests/unit/test_shapes.py"],
    },
    {
      name: "nothing to run",
      changed: ["README.md"],
      rules: [],
      pkg: undefined,
      exists: (p: string) => p === "README.md",
      expected: [],
    },
  ])("$name", ({ changed, rules, pkg, exists, expected }) => {
    expect(
      selectTestCommands(changed, rules, {
        ...(pkg ? { packageJson: pkg } : {}),
        exists: exists ?? all,
      }),
    ).toEqual(expected);
  });

  it("ignores deleted files", () => {
    expect(
      selectTestCommands(["src/gone.ts"], [{ glob: "src/**", command: "t {files}" }], {
        exists: () => false,
      }),
    ).toEqual([]);
  });
});

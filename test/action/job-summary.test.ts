import { describe, expect, it } from "vitest";
import { agentJobSummary } from "../../src/action/job-summary.js";

describe("agent job summary", () => {
  it("says what happened, files, tokens, cost and duration", () => {
    expect(
      agentJobSummary(
        {
          result: {
            correlationId: "7/reviewer/0/99",
            role: "reviewer",
            outcome: "ok",
            verdict: "request_changes",
            headSha: "0123456789abcdef0123456789abcdef01234567",
            pr: 12,
            branch: "conveyor/7-fix-add",
            summary: "Needs a test for negative numbers.",
            tokens: 40_000,
            costUsd: 0.0421,
          },
          filesChanged: ["src/math.js"],
          commands: [],
          usage: {
            calls: 4,
            inputTokens: 1000,
            outputTokens: 2000,
            cacheWriteTokens: 5000,
            cacheReadTokens: 32000,
            costUsd: 0.0421,
          },
          turns: 4,
          durationMs: 95_000,
          stop: { reason: "finished", message: "done" },
        },
        "claude-sonnet-5-5",
      ),
    ).toMatchInlineSnapshot(`
      "### Conveyor reviewer agent

      | | |
      | --- | --- |
      | Outcome | ok (verdict: request_changes) |
      | Run | \`7/reviewer/0/99\` |
      | Branch | \`conveyor/7-fix-add\` |
      | Pull request | #12 |
      | Head | \`0123456789abcdef0123456789abcdef01234567\` |
      | Model | \`claude-sonnet-5-5\` |
      | Turns | 4 |
      | Tokens | 40,000 (input 1000, output 2000, cache write 5000, cache read 32000) |
      | Cost | $0.0421 |
      | Duration | 1m 35s |
      | Stopped because | finished |

      Needs a test for negative numbers.

      **Files changed**
      - \`src/math.js\`
      "
    `);
  });
});

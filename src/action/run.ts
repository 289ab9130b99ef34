import * as core from "@actions/core";
import { secretForms } from "../agent/safe-git-env.js";
import { errorText } from "../github/http-errors.js";
import { runAction } from "./run-action.js";

/** Connects `runAction` to the runner: inputs, outputs, job summary, step status. */
export async function run(): Promise<void> {
  try {
    for (const name of ["anthropic-api-key", "github-token"]) {
      // The token is also masked in its base64 form (the push's basic-auth header).
      for (const form of secretForms(core.getInput(name))) core.setSecret(form);
    }
    for (const line of core.getInput("agent-env").split(/\r?\n/)) {
      const value = line.slice(line.indexOf("=") + 1);
      if (line.includes("=") && value.trim() !== "") core.setSecret(value);
    }
    const result = await runAction({
      getInput: (name) => core.getInput(name),
      env: process.env,
      cwd: process.cwd(),
      log: (line) => core.info(line),
    });
    for (const [name, value] of Object.entries(result.outputs)) core.setOutput(name, value);
    if (process.env.GITHUB_STEP_SUMMARY) await core.summary.addRaw(result.summary).write();
    else core.info(result.summary);
    if (result.failure !== undefined) core.setFailed(result.failure);
  } catch (e: unknown) {
    // Any throw, Error or not, fails the step: in one line (no bundle stack trace as the
    // annotation), with the outputs and the summary written all the same.
    const line = `Conveyor failed: ${errorText(e)}`;
    try {
      for (const name of ["result", "pr", "verdict"]) core.setOutput(name, "");
      for (const name of ["tokens", "cost"]) core.setOutput(name, "0");
      const summary = `### Conveyor\n\n**Failed:** ${errorText(e)}\n`;
      if (process.env.GITHUB_STEP_SUMMARY) await core.summary.addRaw(summary).write();
    } finally {
      if (e instanceof Error && e.stack) core.debug(e.stack);
      core.setFailed(line);
    }
  }
}

import { agentCommand } from "./commands/agent.js";
import { demoCommand } from "./commands/demo.js";
import { planCommand } from "./commands/plan.js";
import { runCommand } from "./commands/run.js";
import type { Command } from "./io.js";

/** Every CLI command, in the order `conveyor help` lists them. One file per command. */
export const commands: readonly Command[] = [planCommand, runCommand, demoCommand, agentCommand];

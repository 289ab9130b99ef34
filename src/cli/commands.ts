import { abandonCommand } from "./commands/abandon.js";
import { agentCommand } from "./commands/agent.js";
import { demoCommand } from "./commands/demo.js";
import { deprioritizeCommand } from "./commands/deprioritize.js";
import { doctorCommand } from "./commands/doctor.js";
import { initCommand } from "./commands/init.js";
import { planCommand } from "./commands/plan.js";
import { retryCommand } from "./commands/retry.js";
import { runCommand } from "./commands/run.js";
import { statusCommand } from "./commands/status.js";
import type { Command } from "./io.js";

/** Every CLI command, in the order `conveyor help` lists them. One file per command. */
export const commands: readonly Command[] = [
  planCommand,
  runCommand,
  initCommand,
  statusCommand,
  retryCommand,
  abandonCommand,
  deprioritizeCommand,
  demoCommand,
  doctorCommand,
  agentCommand,
];

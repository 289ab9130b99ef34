import { planCommand } from "./commands/plan.js";
import type { Command } from "./io.js";

/** Every CLI command, in the order `conveyor help` lists them. One file per command. */
export const commands: readonly Command[] = [planCommand];

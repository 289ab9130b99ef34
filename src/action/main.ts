// Entry of the Action (dist/index.js): no logic here.
import { run } from "./run.js";

await run();

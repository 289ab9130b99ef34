import { startServer } from "./start-server.js";

process.exitCode = await startServer(process.env);

import type { Role } from "../../core/config.js";
import { bashTool } from "./bash-tool.js";
import { createFileTool } from "./create-file-tool.js";
import { editTool } from "./edit-tool.js";
import { findFilesTool } from "./find-files-tool.js";
import { finishTool } from "./finish-tool.js";
import { listFilesTool } from "./list-files-tool.js";
import { searchTool } from "./search-tool.js";
import type { ToolSpec } from "./tool.js";
import { viewTool } from "./view-tool.js";

/** The tools of each role. The reviewer reads and edits but runs no commands. */
export function toolsFor(role: Role): ToolSpec[] {
  const read = [viewTool, listFilesTool, searchTool, findFilesTool];
  const write = [createFileTool, editTool];
  if (role === "reviewer") return [...read, ...write, finishTool(role)];
  return [...read, ...write, bashTool, finishTool(role)];
}

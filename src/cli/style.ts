import * as util from "node:util";

type Format = Parameters<typeof util.styleText>[0];

/** Text styling for one output stream: plain unless it is a terminal that wants colour. */
export type Paint = (format: Format, text: string) => string;

/**
 * Colour only for a terminal, never with `NO_COLOR` (https://no-color.org) or `TERM=dumb`;
 * `FORCE_COLOR` (non-empty, not "0") forces it on. Uses `node:util` styleText where the
 * running Node has it (20.12 and newer).
 */
export function wantsColor(
  stream: { isTTY?: boolean },
  env: Record<string, string | undefined>,
): boolean {
  if (typeof util.styleText !== "function") return false;
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== "") return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== "")
    return env.FORCE_COLOR !== "0" && env.FORCE_COLOR !== "false";
  if (env.TERM === "dumb") return false;
  return stream.isTTY === true;
}

export function painter(
  stream: { isTTY?: boolean },
  env: Record<string, string | undefined>,
): Paint {
  if (!wantsColor(stream, env)) return (_format, text) => text;
  return (format, text) => util.styleText(format, text, { validateStream: false });
}

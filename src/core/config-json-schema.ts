import { z } from "zod";
import { configSchema } from "./config.js";

/**
 * The JSON Schema of `.github/conveyor.yml` for editors, generated from the zod schema
 * (input side: keys with defaults are optional). `npm run schema` writes it to
 * `schema/conveyor.schema.json`; a test keeps the file current.
 */
export function configJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(configSchema, { io: "input", unrepresentable: "any" }) as Record<
    string,
    unknown
  >;
  return {
    ...schema,
    title: "Conveyor configuration (.github/conveyor.yml)",
  };
}

export const configJsonSchemaText = (): string =>
  `${JSON.stringify(configJsonSchema(), null, 2)}\n`;

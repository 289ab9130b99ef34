import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { configJsonSchema, configJsonSchemaText } from "../../src/core/config-json-schema.js";

describe("schema/conveyor.schema.json", () => {
  it("is current with the zod schema (run `npm run schema` after changing the config)", () => {
    const onDisk = readFileSync(
      new URL("../../schema/conveyor.schema.json", import.meta.url),
      "utf8",
    );
    expect(onDisk).toBe(configJsonSchemaText());
  });

  it("makes every key with a default optional, and rejects unknown keys", () => {
    const s = configJsonSchema() as {
      required?: string[];
      additionalProperties?: boolean;
      properties: Record<string, { required?: string[] }>;
    };
    expect(s.required ?? []).toEqual([]);
    expect(s.additionalProperties).toBe(false);
    expect(s.properties.capacity?.required ?? []).toEqual([]);
  });
});

/** `npm run schema`: writes schema/conveyor.schema.json from the zod config schema. */
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { configJsonSchemaText } from "../src/core/config-json-schema.js";

const out = join(dirname(fileURLToPath(import.meta.url)), "..", "schema", "conveyor.schema.json");
mkdirSync(dirname(out), { recursive: true });
writeFileSync(out, configJsonSchemaText());
console.log(`wrote ${out}`);

#!/usr/bin/env node
// Stack traces of the bundle point into the sources through dist/cli.js.map.
process.setSourceMapsEnabled?.(true);
await import("../dist/cli.js");

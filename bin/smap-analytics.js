#!/usr/bin/env node
// The command-line entry. Node ≥ 22.18 and Deno run the TypeScript sources directly.
import "../src/cli.ts"

/**
 * The hexagonal layering, checked in CI (`npm run lint:layers`):
 * domain ← ports ← app ← (main, cli); adapters implement ports and never reach into app.
 */
const infrastructure = "^(amqplib|minio|prom-client|pg|@effect/sql-pg|@effect/platform-node|fzstd|s3rver)$|^node:"

/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: "domain-is-pure",
      comment: "src/domain imports nothing of ours outside the domain (its data files excepted).",
      severity: "error",
      from: { path: "^src/domain/" },
      to: { path: "^src/", pathNot: "^src/domain/" }
    },
    {
      name: "domain-has-no-infrastructure",
      comment: "src/domain imports no infrastructure package and no Node built-in.",
      severity: "error",
      from: { path: "^src/domain/" },
      to: { dependencyTypes: ["npm", "npm-dev", "core"], path: infrastructure }
    },
    {
      name: "domain-uses-no-node-builtins",
      comment: "The domain runs anywhere: no file system, network or process access.",
      severity: "error",
      from: { path: "^src/domain/" },
      to: { dependencyTypes: ["core"] }
    },
    {
      name: "domain-reads-only-data",
      comment: "Outside src/, the domain may read only the versioned data files.",
      severity: "error",
      from: { path: "^src/domain/" },
      to: { pathNot: "^(src/domain/|data/|node_modules/)", dependencyTypesNot: ["core"] }
    },
    {
      name: "ports-import-only-domain",
      severity: "error",
      from: { path: "^src/ports/" },
      to: { path: "^src/", pathNot: "^src/(domain|ports)/" }
    },
    {
      name: "ports-have-no-infrastructure",
      severity: "error",
      from: { path: "^src/ports/" },
      to: { dependencyTypes: ["npm", "npm-dev", "core"], path: infrastructure }
    },
    {
      name: "app-never-imports-adapters",
      comment: "Use cases drive ports; which adapter serves a port is main.ts's business.",
      severity: "error",
      from: { path: "^src/app/" },
      to: { path: "^src/(adapters|cli)/|^src/(main|cli)\\.ts$" }
    },
    {
      name: "app-has-no-infrastructure",
      severity: "error",
      from: { path: "^src/app/" },
      to: { dependencyTypes: ["npm", "npm-dev", "core"], path: infrastructure }
    },
    {
      name: "adapters-never-import-app-or-entry",
      severity: "error",
      from: { path: "^src/adapters/" },
      to: { path: "^src/(app|cli)/|^src/(main|cli)\\.ts$" }
    },
    {
      name: "cli-reaches-adapters-only-through-main",
      comment: "The command line declares commands and prints; which adapter serves a port is main.ts's business.",
      severity: "error",
      from: { path: "^src/cli(/|\\.ts$)" },
      to: { path: "^src/adapters/" }
    },
    {
      name: "cli-has-no-infrastructure",
      comment: "Only the entry (src/cli.ts) picks the Node runtime; commands use no infrastructure package.",
      severity: "error",
      from: { path: "^src/cli/" },
      to: { dependencyTypes: ["npm", "npm-dev"], path: infrastructure }
    },
    {
      name: "no-circular",
      severity: "error",
      from: { path: "^src/" },
      to: { circular: true }
    }
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    enhancedResolveOptions: { exportsFields: ["exports"], conditionNames: ["import", "require", "node", "default"] }
  }
}

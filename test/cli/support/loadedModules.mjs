// Preloaded into the binary by tests (node --import): records the URL of every module the process
// loads (ES modules, CommonJS files, JSON, built-ins) and writes them, one a line, to the file
// SMAP_LOADED_MODULES_FILE names, when the process exits.
import { writeFileSync } from "node:fs"
import { registerHooks } from "node:module"

const loaded = new Set()
registerHooks({
  load(url, context, nextLoad) {
    loaded.add(url)
    return nextLoad(url, context)
  }
})
process.on("exit", () => {
  const file = process.env.SMAP_LOADED_MODULES_FILE
  if (file) writeFileSync(file, [...loaded].join("\n") + "\n")
})

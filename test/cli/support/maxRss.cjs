// Preloaded into the binary by tests (node --require): writes the process's peak resident set
// size, in KiB, to the file SMAP_MAX_RSS_FILE names, when the process exits.
const { writeFileSync } = require("node:fs")
process.on("exit", () => {
  const file = process.env.SMAP_MAX_RSS_FILE
  if (file) writeFileSync(file, String(process.resourceUsage().maxRSS))
})

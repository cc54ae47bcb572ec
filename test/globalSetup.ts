/**
 * Runs once before the test files (vitest `globalSetup`): makes sure PostgreSQL and RabbitMQ
 * answer where the tests look for them (test/support/testServices.ts), starting them when they
 * are installed here but down, creates the `test` database when missing, and checks that
 * Chromium is there. Anything missing ends the run at once with one line saying what to install
 * or which variable to set (README.md, "Tests"). The decisions: test/setup/services.ts.
 */
import { checkChromium, ensureAll, isExecutable, realClock, realServices, setupProblem } from "./setup/services.ts"
import { testSettings } from "./support/testServices.ts"

/** An error that prints as its one line: the stack would point into this file, not at the fix. */
class TestSetupError extends Error {
  constructor(message: string) {
    super(message)
    this.name = "TestSetupError"
    this.stack = `${this.name}: ${message}`
  }
}

export default async function setup(): Promise<void> {
  const started = Date.now()
  const outcomes = [...await ensureAll(realServices(testSettings), realClock), checkChromium(testSettings.chromium, isExecutable)]
  const problem = setupProblem(outcomes)
  if (problem !== undefined) throw new TestSetupError(problem)
  const actions = outcomes.flatMap((o) => (o._tag === "Ready" ? o.actions : []))
  if (actions.length > 0) console.log(`test setup: ${actions.join(", ")} (${((Date.now() - started) / 1000).toFixed(1)} s)`)
}

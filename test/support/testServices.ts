/**
 * Where the tests find their servers and browser: one place, read by the test helpers and by
 * the global setup (test/globalSetup.ts), which starts what is installed but down and fails the
 * run at once, with one line, when something is missing.
 *
 *   SMAP_TEST_DATABASE_URL  (postgres://postgres@127.0.0.1:5432/test)
 *   SMAP_TEST_RABBITMQ_URL  (amqp://guest:guest@127.0.0.1:5672; RABBITMQ_URL is still read after it)
 *   CHROMIUM_PATH           (/usr/bin/chromium)
 */
export const DEFAULT_TEST_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/test"
export const DEFAULT_TEST_RABBITMQ_URL = "amqp://guest:guest@127.0.0.1:5672"
export const DEFAULT_CHROMIUM_PATH = "/usr/bin/chromium"

/** A setting and where it came from: the variable that set it, or none (the default). */
export interface TestSetting {
  readonly value: string
  readonly variable: string | undefined
}

export interface TestServiceSettings {
  readonly database: TestSetting
  readonly rabbitmq: TestSetting
  readonly chromium: TestSetting
}

const first = (env: Readonly<Record<string, string | undefined>>, names: ReadonlyArray<string>, fallback: string): TestSetting => {
  for (const name of names) {
    const value = env[name]
    if (value !== undefined && value !== "") return { value, variable: name }
  }
  return { value: fallback, variable: undefined }
}

export const testServiceSettings = (env: Readonly<Record<string, string | undefined>>): TestServiceSettings => ({
  database: first(env, ["SMAP_TEST_DATABASE_URL"], DEFAULT_TEST_DATABASE_URL),
  rabbitmq: first(env, ["SMAP_TEST_RABBITMQ_URL", "RABBITMQ_URL"], DEFAULT_TEST_RABBITMQ_URL),
  chromium: first(env, ["CHROMIUM_PATH"], DEFAULT_CHROMIUM_PATH)
})

export const testSettings = testServiceSettings(process.env)

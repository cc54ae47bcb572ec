import { Context, Effect, Layer, Ref } from "effect"
import { type Dependency, Metrics } from "./Metrics.ts"

export const dependencies: ReadonlyArray<Dependency> = ["broker", "database", "storage"]

/** The body of `/readyz`. */
export interface ReadinessReport {
  /** True only when every dependency is up and the service is not draining. */
  readonly ready: boolean
  readonly dependencies: Readonly<Record<Dependency, boolean>>
  readonly draining: boolean
}

interface State {
  readonly dependencies: Readonly<Record<Dependency, boolean>>
  readonly draining: boolean
}

const report = (state: State): ReadinessReport => ({
  ready: !state.draining && dependencies.every((d) => state.dependencies[d]),
  dependencies: state.dependencies,
  draining: state.draining
})

/**
 * Whether the service should receive work (§7 `/readyz`, §5 pausing while a dependency is down).
 * Every dependency starts down: the adapters report it up once they have reached it, so a fresh
 * process is not ready before it has proved it can work. `setDependency` also sets
 * `analytics_dependency_up`; draining (after SIGTERM) is one more reason not to be ready.
 */
export class Readiness extends Context.Service<
  Readiness,
  {
    readonly setDependency: (dependency: Dependency, up: boolean) => Effect.Effect<void>
    readonly setDraining: (draining: boolean) => Effect.Effect<void>
    readonly ready: Effect.Effect<ReadinessReport>
  }
>()("smap/app/Readiness") {
  static readonly layer: Layer.Layer<Readiness, never, Metrics> = Layer.effect(
    Readiness,
    Effect.gen(function*() {
      const metrics = yield* Metrics
      const state = yield* Ref.make<State>({
        dependencies: { broker: false, database: false, storage: false },
        draining: false
      })
      // Publish the initial "down" so the gauge exists (and alerts can fire) before the first check.
      yield* Effect.forEach(dependencies, (d) => metrics.dependencyUp(d, false), { discard: true })
      return Readiness.of({
        setDependency: (dependency, up) =>
          Ref.update(state, (s) => ({ ...s, dependencies: { ...s.dependencies, [dependency]: up } })).pipe(
            Effect.andThen(metrics.dependencyUp(dependency, up))
          ),
        setDraining: (draining) => Ref.update(state, (s) => ({ ...s, draining })),
        ready: Effect.map(Ref.get(state), report)
      })
    })
  )
}

import { createHash } from "node:crypto"
import { createServer } from "node:net"
import { assert, describe, it } from "@effect/vitest"
import type * as amqp from "amqplib"
import { Effect, Logger, Option, Predicate, Queue, Redacted, Stream } from "effect"
import { makeRabbitConnection, type RabbitConnectionShape } from "../../src/adapters/rabbitmq/connection.ts"
import { makeEventQueueRabbit } from "../../src/adapters/rabbitmq/EventQueue.ts"
import { inspectTopology } from "../../src/adapters/rabbitmq/inspect.ts"
import { listDeadLetters } from "../../src/adapters/rabbitmq/tools.ts"
import { mainQueueArguments, type Topology } from "../../src/adapters/rabbitmq/topology.ts"
import type { Delivery } from "../../src/ports/EventQueue.ts"
import {
  adminConnection,
  drain,
  eventually,
  publishJson,
  queueDepth,
  rabbitUrlRedacted,
  testTopology,
  withChannel
} from "../support/rabbit.ts"

const fastBackoff = { initialMs: 50, maxMs: 500, factor: 2, jitter: 0.2 }
const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes)

/** The adapter on a topology of its own, with deliveries collected into a queue in the background. */
const setup = (prefetchCount = 4) =>
  Effect.gen(function*() {
    const admin = yield* adminConnection
    const topology = yield* testTopology(admin)
    const connection = yield* makeRabbitConnection({ url: rabbitUrlRedacted, connectionName: "eventQueue-test", backoff: fastBackoff })
    const queue = yield* makeEventQueueRabbit(connection, { topology, prefetchCount, backoff: fastBackoff })
    // `check` answers for now (readiness): wait for the first connection before asking.
    yield* connection.current
    yield* queue.check
    const received = yield* Queue.unbounded<Delivery>()
    const startConsuming = queue.deliveries.pipe(
      Stream.runForEach((delivery) => Queue.offer(received, delivery)),
      Effect.forkScoped
    )
    const nextDelivery = Queue.take(received).pipe(Effect.timeout("5 seconds"))
    const publish = (body: unknown) => publishJson(admin, topology.exchange, topology.routingKey, body)
    return { admin, topology, connection, queue, received, startConsuming, nextDelivery, publish }
  })

/** Counts of a topology's queues once no consumer holds anything (ready messages only). */
const depths = (admin: amqp.ChannelModel, topology: Topology) =>
  Effect.all({ main: queueDepth(admin, topology.queue), dead: queueDepth(admin, topology.deadLetterQueue) })

/**
 * Cuts the adapter's TCP connection under it, as a network failure does: the socket fails
 * with ECONNRESET. (amqplib notices a socket's 'error' or 'end'; a silent local destroy is
 * only noticed by the heartbeat.)
 */
const killSocket = (connection: RabbitConnectionShape) =>
  Effect.gen(function*() {
    const model = yield* connection.current
    const inner: unknown = model.connection
    if (!Predicate.hasProperty(inner, "stream") || !Predicate.hasProperty(inner.stream, "destroy")) {
      return assert.fail("amqplib connection has no socket to cut")
    }
    const stream = inner.stream
    if (typeof stream.destroy !== "function") return assert.fail("socket has no destroy()")
    stream.destroy(Object.assign(new Error("read ECONNRESET (simulated)"), { code: "ECONNRESET" }))
  })

describe("EventQueueRabbit", () => {
  it.live("check declares the topology: exchange routes data.collected to the durable queue, DLX to the DLQ", () =>
    Effect.gen(function*() {
      const { admin, topology, publish } = yield* setup()
      yield* withChannel(admin, async (channel) => {
        await channel.checkExchange(topology.exchange)
        await channel.checkExchange(topology.deadLetterExchange)
        await channel.checkQueue(topology.queue)
        await channel.checkQueue(topology.deadLetterQueue)
      })
      yield* publish({ event_type: "data.collected" })
      yield* publishJson(admin, topology.deadLetterExchange, "anything.at.all", { dead: true })
      assert.deepStrictEqual(yield* eventually(depths(admin, topology).pipe(
        Effect.filterOrFail((d) => d.main === 1 && d.dead === 1)
      )), { main: 1, dead: 1 })
    }))

  it.live("check answers the main queue's ready messages; delivered, unacked ones are not counted", () =>
    Effect.gen(function*() {
      const { publish, queue, startConsuming, nextDelivery } = yield* setup(1)
      assert.deepStrictEqual(yield* queue.check, { messagesReady: 0 })
      for (let i = 0; i < 3; i++) yield* publish({ n: i })
      assert.deepStrictEqual(
        yield* eventually(queue.check.pipe(Effect.filterOrFail((s) => s.messagesReady === 3))),
        { messagesReady: 3 }
      )
      yield* startConsuming
      yield* nextDelivery
      // One delivery is out (prefetch 1), unacked: two remain ready.
      assert.deepStrictEqual(
        yield* eventually(queue.check.pipe(Effect.filterOrFail((s) => s.messagesReady === 2))),
        { messagesReady: 2 }
      )
    }))

  it.live("never more unsettled deliveries than the prefetch; settling one lets the next in", () =>
    Effect.gen(function*() {
      const { publish, startConsuming, received, nextDelivery, queue } = yield* setup(3)
      for (let i = 0; i < 10; i++) yield* publish({ n: i })
      yield* startConsuming
      const first = yield* nextDelivery
      yield* nextDelivery
      yield* nextDelivery
      yield* Effect.sleep("400 millis")
      assert.strictEqual(yield* Queue.size(received), 0, "a fourth delivery arrived with three unsettled")
      yield* queue.ack(first)
      const fourth = yield* nextDelivery
      assert.strictEqual(JSON.parse(decode(fourth.body)).n, 3)
      yield* Effect.sleep("200 millis")
      assert.strictEqual(yield* Queue.size(received), 0)
    }))

  it.live("ack removes the message for good; an unacked one is handed back when the consumer closes", () =>
    Effect.gen(function*() {
      const { admin, topology, publish } = yield* setup()
      yield* publish({ n: "acked" })
      yield* publish({ n: "unacked" })
      yield* Effect.scoped(Effect.gen(function*() {
        const connection = yield* makeRabbitConnection({ url: rabbitUrlRedacted })
        const queue = yield* makeEventQueueRabbit(connection, { topology, prefetchCount: 4 })
        const two = yield* queue.deliveries.pipe(Stream.take(2), Stream.runCollect, Effect.timeout("5 seconds"))
        const acked = two.find((d) => decode(d.body).includes("\"acked\""))
        if (acked === undefined) return assert.fail("the acked message was not delivered")
        assert.strictEqual(acked.attempt, 1)
        assert.isFalse(acked.redelivered)
        yield* queue.ack(acked)
        const again = yield* Effect.flip(queue.ack(acked))
        assert.strictEqual(again.reason, "Unknown", "a second ack of the same delivery must not succeed")
      }))
      const left = yield* drain(admin, topology.queue)
      assert.deepStrictEqual(left.map((m) => JSON.parse(m.content.toString()).n), ["unacked"])
    }))

  it.live("a dead-letter copy that cannot be confirmed hands the original back to the broker at once, not at the next restart", () =>
    Effect.gen(function*() {
      const { admin, topology, publish, startConsuming, nextDelivery, queue } = yield* setup()
      yield* publish({ event_id: "evt_unconfirmed", event_type: "data.collected" })
      yield* startConsuming
      const delivery = yield* nextDelivery
      // With the DLQ unbound the copy is returned unroutable: its publish fails.
      yield* withChannel(admin, (channel) => channel.unbindQueue(topology.deadLetterQueue, topology.deadLetterExchange, "#"))
      const failure = yield* Effect.flip(queue.deadLetter(delivery, { code: "NOT_A_BATCH", message: "x", eventId: null }))
      assert.include(failure.message, "unroutable")
      // The original was not left unacked on an open channel: it comes straight back.
      const again = yield* nextDelivery
      assert.isTrue(again.redelivered)
      assert.strictEqual(JSON.parse(decode(again.body)).event_id, "evt_unconfirmed")
      assert.strictEqual((yield* Effect.flip(queue.ack(delivery))).reason, "ChannelClosed")
      yield* queue.ack(again)
    }))

  it.live("dead-lettering puts the message in the DLQ with the reason headers and nothing in the main queue", () =>
    Effect.gen(function*() {
      const { admin, topology, publish, startConsuming, nextDelivery, queue } = yield* setup()
      yield* publish({ event_id: "evt_dead_1", event_type: "data.collected" })
      yield* startConsuming
      const delivery = yield* nextDelivery
      yield* queue.deadLetter(delivery, { code: "NOT_A_BATCH", message: "the object is not a JSON array", eventId: "evt_dead_1" })
      const dead = yield* drain(admin, topology.deadLetterQueue)
      assert.strictEqual(dead.length, 1)
      const headers = dead[0]?.properties.headers ?? {}
      assert.strictEqual(headers["x-smap-error-code"], "NOT_A_BATCH")
      assert.strictEqual(headers["x-smap-error-message"], "the object is not a JSON array")
      assert.strictEqual(headers["x-smap-attempts"], 1)
      assert.strictEqual(headers["x-smap-event-id"], "evt_dead_1")
      assert.strictEqual(headers["x-smap-original-routing-key"], topology.routingKey)
      assert.strictEqual(headers["x-smap-original-exchange"], topology.exchange)
      assert.strictEqual(dead[0]?.properties.contentType, "application/json")
      assert.strictEqual(dead[0]?.properties.deliveryMode, 2)
      assert.deepStrictEqual(JSON.parse(dead[0]?.content.toString() ?? "null"), { event_id: "evt_dead_1", event_type: "data.collected" })
      yield* Effect.sleep("200 millis")
      assert.strictEqual(yield* queueDepth(admin, topology.queue), 0)
      assert.strictEqual((yield* Effect.flip(queue.ack(delivery))).reason, "Unknown")
    }))

  it.live("every dead-letter copy of one message carries the same message-id, so a copy made again after a crash is recognised", () =>
    Effect.gen(function*() {
      const { admin, topology, startConsuming, nextDelivery, queue } = yield* setup()
      const body = { event_id: "evt_twice", event_type: "data.collected" }
      // The same message twice without a message-id: what the broker redelivers when the process
      // died after the dead-letter copy was confirmed and before the original was acked.
      yield* publishJson(admin, topology.exchange, topology.routingKey, body)
      yield* publishJson(admin, topology.exchange, topology.routingKey, body)
      yield* publishJson(admin, topology.exchange, topology.routingKey, { n: 1 }, { messageId: "crawler-id-1" })
      yield* startConsuming
      for (let i = 0; i < 3; i++) {
        yield* queue.deadLetter(yield* nextDelivery, { code: "NOT_A_BATCH", message: "x", eventId: null })
      }
      const dead = yield* drain(admin, topology.deadLetterQueue)
      const ids = dead.map((m) => m.properties.messageId)
      const expected = `sha256:${createHash("sha256").update(JSON.stringify(body)).digest("hex")}`
      assert.deepStrictEqual(ids, [expected, expected, "crawler-id-1"])
    }))

  it.live("retry brings the message back with the attempt count grown each time; the DLQ sees the total", () =>
    Effect.gen(function*() {
      const { admin, topology, publish, startConsuming, nextDelivery, queue } = yield* setup()
      yield* publish({ event_id: "evt_retry" })
      yield* startConsuming
      const attempts: Array<number> = []
      let delivery = yield* nextDelivery
      for (let i = 0; i < 3; i++) {
        attempts.push(delivery.attempt)
        yield* queue.retry(delivery)
        delivery = yield* nextDelivery
      }
      attempts.push(delivery.attempt)
      assert.deepStrictEqual(attempts, [1, 2, 3, 4])
      assert.strictEqual(delivery.headers["x-smap-attempts"], 3)
      // The retried copy still knows where it was first published.
      assert.strictEqual(delivery.headers["x-smap-original-routing-key"], topology.routingKey)
      yield* queue.deadLetter(delivery, { code: "UNKNOWN", message: "gave up", eventId: null })
      const dead = yield* drain(admin, topology.deadLetterQueue)
      assert.strictEqual(dead[0]?.properties.headers?.["x-smap-attempts"], 4)
      assert.strictEqual(yield* queueDepth(admin, topology.queue), 0)
    }))

  it.live("after the connection is cut, the adapter reconnects and consumes again; the old delivery cannot be acked and comes back", () =>
    Effect.gen(function*() {
      const { publish, startConsuming, nextDelivery, queue, connection } = yield* setup()
      yield* publish({ n: "survivor" })
      yield* startConsuming
      const before = yield* nextDelivery
      assert.isTrue(yield* connection.isUp)
      const oldModel = yield* connection.current
      yield* killSocket(connection)
      // Reconnection is immediate after a loss, so wait for the new connection itself.
      yield* eventually(connection.current.pipe(Effect.filterOrFail((model) => model !== oldModel)))
      const error = yield* Effect.flip(queue.ack(before))
      assert.strictEqual(error.reason, "ChannelClosed")
      const failedRetry = yield* Effect.flip(queue.retry(before))
      assert.strictEqual(failedRetry.reason, "ChannelClosed")
      const redelivered = yield* nextDelivery
      assert.strictEqual(decode(redelivered.body), decode(before.body))
      assert.isTrue(redelivered.redelivered)
      assert.notStrictEqual(redelivered.deliveryId, before.deliveryId)
      assert.isTrue(yield* connection.isUp)
      yield* queue.ack(redelivered)
      // Still consuming on the new connection.
      yield* publish({ n: "after" })
      const after = yield* nextDelivery
      assert.strictEqual(JSON.parse(decode(after.body)).n, "after")
      yield* queue.ack(after)
    }))

  it.live("when the broker cancels the consumer (queue deleted), the stream resubscribes and declares again", () =>
    Effect.gen(function*() {
      const { admin, topology, publish, startConsuming, nextDelivery, queue } = yield* setup()
      yield* startConsuming
      yield* publish({ n: 1 })
      yield* queue.ack(yield* nextDelivery)
      yield* withChannel(admin, (channel) => channel.deleteQueue(topology.queue))
      // The queue comes back (declared by the resubscription) and is bound again.
      yield* eventually(queueDepth(admin, topology.queue), 5_000)
      yield* publish({ n: 2 })
      const after = yield* nextDelivery
      assert.strictEqual(JSON.parse(decode(after.body)).n, 2)
      yield* queue.ack(after)
    }))

  it.live("an existing queue declared with other arguments is a TopologyMismatch saying which queue and what differs", () =>
    Effect.gen(function*() {
      const admin = yield* adminConnection
      const topology = yield* testTopology(admin)
      yield* withChannel(admin, (channel) => channel.assertQueue(topology.queue, { durable: true, arguments: { "x-max-length": 5 } }))
      const connection = yield* makeRabbitConnection({ url: rabbitUrlRedacted })
      const queue = yield* makeEventQueueRabbit(connection, { topology, prefetchCount: 4 })
      yield* connection.current
      const error = yield* Effect.flip(queue.check)
      assert.strictEqual(error.reason, "TopologyMismatch")
      assert.include(error.message, `queue '${topology.queue}'`)
      assert.include(error.message, "x-dead-letter-exchange")
      assert.include(error.message, topology.deadLetterExchange)
      assert.include(error.message, "0 message(s)")
      // The stream fails the same way instead of retrying for ever.
      const streamError = yield* queue.deliveries.pipe(Stream.runDrain, Effect.flip, Effect.timeout("5 seconds"))
      assert.strictEqual(streamError.reason, "TopologyMismatch")
    }))

  it.live("while the broker cannot be reached: not up, check fails Unavailable at once, no credentials in messages", () =>
    Effect.gen(function*() {
      const port = yield* closedPort
      const connection = yield* makeRabbitConnection({
        url: Redacted.make(`amqp://guest:s3cr3t@127.0.0.1:${port}`),
        backoff: fastBackoff
      })
      const queue = yield* makeEventQueueRabbit(connection, {
        topology: {
          exchange: "x",
          routingKey: "k",
          queue: "q",
          deadLetterExchange: "dx",
          deadLetterQueue: "dq",
          queueType: "classic",
          deliveryLimit: 5
        },
        prefetchCount: 1
      })
      yield* Effect.sleep("200 millis")
      assert.isFalse(yield* connection.isUp)
      const error = yield* Effect.flip(queue.check)
      assert.strictEqual(error.reason, "Unavailable")
      assert.notInclude(error.message, "s3cr3t")
      assert.include(error.message, `127.0.0.1:${port}`)
    }))
})

/**
 * One delivery on a connection of its own, left unsettled when the connection closes: what the
 * broker sees when the process dies while processing a batch (out of memory, a native crash).
 */
const takeAndCrash = (topology: Topology) =>
  Effect.scoped(Effect.gen(function*() {
    const connection = yield* makeRabbitConnection({ url: rabbitUrlRedacted, connectionName: "crash-test", backoff: fastBackoff })
    const queue = yield* makeEventQueueRabbit(connection, { topology, prefetchCount: 1, backoff: fastBackoff })
    return yield* queue.deliveries.pipe(Stream.runHead, Effect.timeoutOption("3 seconds"), Effect.map(Option.flatten))
  }))

describe("EventQueueRabbit on a quorum queue (EVENT_QUEUE_TYPE=quorum)", () => {
  const quorumSetup = (deliveryLimit: number) =>
    Effect.gen(function*() {
      const admin = yield* adminConnection
      const topology = yield* testTopology(admin, { queueType: "quorum", deliveryLimit })
      const connection = yield* makeRabbitConnection({ url: rabbitUrlRedacted, connectionName: "quorum-test", backoff: fastBackoff })
      const queue = yield* makeEventQueueRabbit(connection, { topology, prefetchCount: 4, backoff: fastBackoff })
      yield* connection.current
      yield* queue.check
      return { admin, topology, connection, queue }
    })

  it.live("check declares the main queue as a quorum queue with the delivery limit and dead-letter exchange", () =>
    Effect.gen(function*() {
      const { admin, topology, connection } = yield* quorumSetup(3)
      // Re-declaring with exactly these arguments is accepted, so they are the queue's arguments.
      yield* withChannel(admin, (channel) =>
        channel.assertQueue(topology.queue, {
          durable: true,
          arguments: { "x-queue-type": "quorum", "x-delivery-limit": 3, "x-dead-letter-exchange": topology.deadLetterExchange }
        }))
      // validate re-declares with the same arguments: every finding passes.
      const findings = yield* inspectTopology(connection, topology)
      assert.deepStrictEqual(findings.filter((f) => !f.ok), [])
      assert.strictEqual(findings.length, 4)
      // A classic declaration of the same queue is refused: the type is part of the arguments.
      const refused = yield* withChannel(admin, (channel) =>
        channel.assertQueue(topology.queue, { durable: true, arguments: mainQueueArguments({ ...topology, queueType: "classic" }) })).pipe(Effect.flip)
      assert.include(String(refused.cause), "x-queue-type")
    }))

  it.live("a delivery whose consumer dies without settling comes back as attempt 2, 3, … (the broker counts)", () =>
    Effect.gen(function*() {
      const { admin, topology, queue } = yield* quorumSetup(10)
      yield* publishJson(admin, topology.exchange, topology.routingKey, { event_id: "evt_crash" })
      const attempts: Array<number> = []
      for (let i = 0; i < 3; i++) {
        const delivery = yield* takeAndCrash(topology)
        if (Option.isNone(delivery)) return assert.fail(`no delivery on round ${i + 1}`)
        attempts.push(delivery.value.attempt)
        assert.strictEqual(delivery.value.redelivered, i > 0)
      }
      assert.deepStrictEqual(attempts, [1, 2, 3])
      // Our own count and the broker's combine: a retry after two crashes is attempt 4 and its
      // copy (a new message, delivery count 0) still says so.
      const fourth = yield* queue.deliveries.pipe(Stream.runHead, Effect.timeout("5 seconds"), Effect.map(Option.getOrThrow))
      assert.strictEqual(fourth.attempt, 4)
      yield* queue.retry(fourth)
      const fifth = yield* queue.deliveries.pipe(Stream.runHead, Effect.timeout("5 seconds"), Effect.map(Option.getOrThrow))
      assert.strictEqual(fifth.attempt, 5)
      assert.isUndefined(fifth.headers["x-delivery-count"], "the retried copy must not carry the old message's delivery count")
      yield* queue.ack(fifth)
    }))

  it.live("past the delivery limit the broker dead-letters a poison message instead of redelivering it for ever", () =>
    Effect.gen(function*() {
      const { admin, topology, connection } = yield* quorumSetup(2)
      yield* publishJson(admin, topology.exchange, topology.routingKey, { event_id: "evt_poison" })
      // Limit 2: the first delivery and two redeliveries; the third return dead-letters it.
      const attempts: Array<number> = []
      for (let i = 0; i < 3; i++) {
        const delivery = yield* takeAndCrash(topology)
        if (Option.isNone(delivery)) return assert.fail(`no delivery on round ${i + 1}`)
        attempts.push(delivery.value.attempt)
      }
      assert.deepStrictEqual(attempts, [1, 2, 3])
      yield* eventually(queueDepth(admin, topology.deadLetterQueue).pipe(Effect.filterOrFail((n) => n === 1)))
      // `dead-letters list` names the broker's reason, there being none of ours.
      const listed = yield* listDeadLetters(connection, topology, 10)
      assert.strictEqual(listed[0]?.id, "evt_poison")
      assert.strictEqual(listed[0]?.errorCode, "delivery_limit")
      assert.include(listed[0]?.errorMessage, "x-delivery-limit")
      const dead = yield* drain(admin, topology.deadLetterQueue)
      assert.deepStrictEqual(JSON.parse(dead[0]?.content.toString() ?? "null"), { event_id: "evt_poison" })
      const headers = dead[0]?.properties.headers ?? {}
      assert.strictEqual(headers["x-first-death-reason"], "delivery_limit")
      assert.strictEqual(headers["x-first-death-queue"], topology.queue)
      // The loop is over: nothing left to deliver.
      assert.strictEqual(yield* queueDepth(admin, topology.queue), 0)
      assert.isTrue(Option.isNone(yield* takeAndCrash(topology)))
    }))

  it.live("an existing classic queue is adopted as it is: consumed from, one warning, and validate passes it with the warning", () =>
    Effect.gen(function*() {
      const admin = yield* adminConnection
      const topology = yield* testTopology(admin, { queueType: "quorum" })
      yield* withChannel(admin, (channel) =>
        channel.assertQueue(topology.queue, { durable: true, arguments: { "x-dead-letter-exchange": topology.deadLetterExchange } }))
      const logs: Array<string> = []
      const logger = Logger.make<unknown, void>(({ logLevel, message }) => {
        logs.push(`${logLevel}: ${Array.isArray(message) ? message.join(" ") : String(message)}`)
      })
      const { queue, connection } = yield* Effect.gen(function*() {
        const connection = yield* makeRabbitConnection({ url: rabbitUrlRedacted })
        const queue = yield* makeEventQueueRabbit(connection, { topology, prefetchCount: 4 })
        return { queue, connection }
      })
      yield* connection.current
      const status = yield* queue.check.pipe(Effect.provide(Logger.layer([logger])))
      yield* queue.check.pipe(Effect.provide(Logger.layer([logger])))
      assert.strictEqual(status.messagesReady, 0)
      const warnings = logs.filter((l) => l.includes("exists as a classic queue"))
      assert.strictEqual(warnings.length, 1, logs.join("\n"))
      assert.match(warnings[0] ?? "", /^Warn/)
      assert.include(warnings[0], "docs/operations.md")
      // The queue is still classic (nothing re-created it) and messages flow through it.
      yield* withChannel(admin, (channel) =>
        channel.assertQueue(topology.queue, { durable: true, arguments: mainQueueArguments({ ...topology, queueType: "classic" }) }))
      yield* publishJson(admin, topology.exchange, topology.routingKey, { event_id: "evt_adopted" })
      const delivery = yield* queue.deliveries.pipe(Stream.runHead, Effect.timeout("5 seconds"), Effect.map(Option.getOrThrow))
      assert.strictEqual(delivery.attempt, 1)
      yield* queue.ack(delivery)
      const findings = yield* inspectTopology(connection, topology)
      const eventQueue = findings.find((f) => f.name === "event queue")
      assert.isTrue(eventQueue?.ok, eventQueue?.detail)
      assert.include(eventQueue?.detail, "WARNING")
      assert.include(eventQueue?.detail, "exists as a classic queue")
    }))

  it.live("a classic queue with other arguments is still a TopologyMismatch, and validate reports it", () =>
    Effect.gen(function*() {
      const admin = yield* adminConnection
      const topology = yield* testTopology(admin, { queueType: "quorum" })
      yield* withChannel(admin, (channel) => channel.assertQueue(topology.queue, { durable: true, arguments: { "x-max-length": 5 } }))
      const connection = yield* makeRabbitConnection({ url: rabbitUrlRedacted })
      const queue = yield* makeEventQueueRabbit(connection, { topology, prefetchCount: 4 })
      yield* connection.current
      const error = yield* Effect.flip(queue.check)
      assert.strictEqual(error.reason, "TopologyMismatch")
      assert.include(error.message, `queue '${topology.queue}'`)
      const findings = yield* inspectTopology(connection, topology)
      assert.isFalse(findings.find((f) => f.name === "event queue")?.ok)
    }))
})

/** A port nothing listens on. */
const closedPort = Effect.callback<number>((resume) => {
  const server = createServer()
  server.listen(0, "127.0.0.1", () => {
    const address = server.address()
    const port = typeof address === "object" && address !== null ? address.port : 0
    server.close(() => resume(Effect.succeed(port)))
  })
})

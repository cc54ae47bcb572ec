import { createServer, type Server, type Socket, connect } from "node:net"

/**
 * A TCP proxy on loopback that a test can cut and restore, to take a dependency "down"
 * (connections reset, new ones refused) without touching the shared server behind it.
 */
export const tcpProxy = async (targetPort: number, targetHost = "127.0.0.1") => {
  const sockets = new Set<Socket>()
  /** Client/upstream pairs, so that a freeze can stop their traffic without closing them. */
  const pairs = new Set<readonly [Socket, Socket]>()
  let server: Server | null = null
  let port = 0

  const listen = () =>
    new Promise<void>((resolve, reject) => {
      const s = createServer((client) => {
        const upstream = connect(targetPort, targetHost)
        sockets.add(client)
        sockets.add(upstream)
        const pair = [client, upstream] as const
        pairs.add(pair)
        const drop = () => {
          client.destroy()
          upstream.destroy()
          sockets.delete(client)
          sockets.delete(upstream)
          pairs.delete(pair)
        }
        client.on("error", drop).on("close", drop)
        upstream.on("error", drop).on("close", drop)
        client.on("data", (chunk: Buffer) => upstream.write(chunk))
        upstream.on("data", (chunk: Buffer) => client.write(chunk))
      })
      s.once("error", reject)
      s.listen(port, "127.0.0.1", () => {
        const address = s.address()
        if (typeof address === "object" && address !== null) port = address.port
        server = s
        resolve()
      })
    })

  await listen()
  return {
    get port() {
      return port
    },
    /** Resets every open connection and refuses new ones. */
    cut: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy()
        sockets.clear()
        if (server === null) return resolve()
        server.close(() => resolve())
        server = null
      }),
    /**
     * Silently stalls every connection open now: nothing is forwarded either way and nothing
     * is closed, as when a network path drops packets. New connections work.
     */
    freeze: () => {
      // Without a data listener a flowing socket drops what it reads: open, and silent.
      for (const [client, upstream] of pairs) {
        client.removeAllListeners("data")
        upstream.removeAllListeners("data")
      }
    },
    /** Accepts connections again, on the same port. */
    restore: listen,
    close: async () => {
      for (const socket of sockets) socket.destroy()
      await new Promise<void>((resolve) => (server === null ? resolve() : server.close(() => resolve())))
      server = null
    }
  }
}

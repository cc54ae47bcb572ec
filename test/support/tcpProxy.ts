import { createServer, type Server, type Socket, connect } from "node:net"

/**
 * A TCP proxy on loopback that a test can cut and restore, to take a dependency "down"
 * (connections reset, new ones refused) without touching the shared server behind it.
 */
export const tcpProxy = async (targetPort: number, targetHost = "127.0.0.1") => {
  const sockets = new Set<Socket>()
  let server: Server | null = null
  let port = 0

  const listen = () =>
    new Promise<void>((resolve, reject) => {
      const s = createServer((client) => {
        const upstream = connect(targetPort, targetHost)
        sockets.add(client)
        sockets.add(upstream)
        const drop = () => {
          client.destroy()
          upstream.destroy()
          sockets.delete(client)
          sockets.delete(upstream)
        }
        client.on("error", drop).on("close", drop)
        upstream.on("error", drop).on("close", drop)
        client.pipe(upstream)
        upstream.pipe(client)
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
    /** Accepts connections again, on the same port. */
    restore: listen,
    close: async () => {
      for (const socket of sockets) socket.destroy()
      await new Promise<void>((resolve) => (server === null ? resolve() : server.close(() => resolve())))
      server = null
    }
  }
}

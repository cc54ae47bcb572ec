import { createServer } from "node:net"

/**
 * A loopback port that was free a moment ago: bound to port 0, read, and released. Used both for
 * servers a test starts and as a closed port (nothing listens on it) for "unreachable" cases.
 */
export const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const server = createServer()
    server.once("error", reject)
    server.listen(0, "127.0.0.1", () => {
      const address = server.address()
      server.close(() => (typeof address === "object" && address !== null ? resolve(address.port) : reject(new Error("no port"))))
    })
  })

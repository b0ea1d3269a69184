import net from 'node:net';

/**
 * A TCP port on 127.0.0.1 that was free a moment ago. Another process may take it before
 * the caller binds it; callers that start a server on it should fail loudly if that happens.
 */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

import net from 'node:net';
import tls from 'node:tls';
import { readClientHello } from '../tls/client-hello.ts';

/** The ClientHello a real Node TLS client sends for `servername`, captured on a local socket. */
export async function clientHelloFor(servername: string): Promise<Buffer> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  try {
    return await new Promise<Buffer>((resolve) => {
      const client = tls.connect({ port, host: '127.0.0.1', servername });
      client.on('error', () => undefined);
      server.once('connection', (socket) => {
        let bytes = Buffer.alloc(0);
        socket.on('data', (chunk: Buffer) => {
          bytes = Buffer.concat([bytes, chunk]);
          if (readClientHello(bytes).status !== 'complete') return;
          socket.destroy();
          client.destroy();
          resolve(bytes);
        });
      });
    });
  } finally {
    server.close();
  }
}

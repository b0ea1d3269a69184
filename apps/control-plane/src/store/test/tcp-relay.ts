import net from 'node:net';

/** A TCP relay on loopback between a client and a server, which a test can black-hole. */
export interface TcpRelay {
  /** The loopback port clients connect to instead of the server's. */
  readonly port: number;
  /**
   * Stops forwarding bytes in both directions without closing anything, as a link that
   * drops every packet would: connections stay open, nothing arrives, nothing errors.
   * Bytes sent meanwhile are held and delivered on `resume`, as TCP retransmission would.
   */
  pause(): void;
  /** Delivers what was held and forwards again. */
  resume(): void;
  /** Closes the listener and every relayed connection. */
  close(): Promise<void>;
}

/** Starts a relay on 127.0.0.1 to `127.0.0.1:targetPort`. */
export async function startTcpRelay(targetPort: number): Promise<TcpRelay> {
  let paused = false;
  const held: (() => void)[] = [];
  const sockets = new Set<net.Socket>();
  const forward = (from: net.Socket, to: net.Socket) => {
    from.on('data', (chunk: Buffer) => {
      if (paused) held.push(() => to.write(chunk));
      else to.write(chunk);
    });
    from.on('end', () => to.end());
    from.on('error', () => to.destroy());
    from.on('close', () => to.destroy());
  };
  const server = net.createServer((client) => {
    const upstream = net.connect({ host: '127.0.0.1', port: targetPort });
    for (const socket of [client, upstream]) {
      sockets.add(socket);
      socket.on('close', () => sockets.delete(socket));
    }
    forward(client, upstream);
    forward(upstream, client);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port: 0 }, resolve);
  });
  return {
    port: (server.address() as net.AddressInfo).port,
    pause() {
      paused = true;
    },
    resume() {
      paused = false;
      for (const deliver of held.splice(0)) deliver();
    },
    async close() {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

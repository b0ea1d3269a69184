import net from 'node:net';

/** The loopback ports of `npm start`, by what listens on them. */
export interface DemoPorts {
  readonly http: number;
  readonly grpc: number;
  readonly discovery: number;
  readonly edge: number;
  readonly edgeAdmin: number;
  readonly origin: number;
}

/** What each port is, for messages. */
export const portNames: Readonly<Record<keyof DemoPorts, string>> = {
  http: 'control plane HTTP API',
  grpc: 'control plane gRPC admin API',
  discovery: 'control plane discovery (edge configuration stream)',
  edge: 'edge TLS',
  edgeAdmin: 'edge admin (/healthz, /readyz, /status)',
  origin: 'demo origin',
};

/**
 * The demo's ports: 8080, 9090, 9443, 8443, 9901 and 8000, each shifted by `base`
 * (PORTCULLIS_DEMO_PORT_BASE). A base that is not a whole number, or shifts a port out of
 * 1–65535, is refused with a message that says so.
 */
export function demoPorts(base: string | undefined): DemoPorts {
  const shift = Number(base || 0);
  const ports: DemoPorts = {
    http: 8080 + shift,
    grpc: 9090 + shift,
    discovery: 9443 + shift,
    edge: 8443 + shift,
    edgeAdmin: 9901 + shift,
    origin: 8000 + shift,
  };
  if (!Number.isInteger(shift) || Object.values(ports).some((port) => port < 1 || port > 65_535)) {
    throw new Error(`PORTCULLIS_DEMO_PORT_BASE=${base} must be a whole number that keeps every port (8000 … 9901 + base) within 1–65535`);
  }
  return ports;
}

/** Whether nothing listens on 127.0.0.1:`port` now (the demo binds loopback only). */
function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer().once('error', () => resolve(false));
    server.listen({ port, host: '127.0.0.1', exclusive: true }, () => server.close(() => resolve(true)));
  });
}

/** The ports that are taken now, each with what the demo wanted it for. */
export async function takenPorts(ports: DemoPorts): Promise<{ name: keyof DemoPorts; port: number }[]> {
  const entries = Object.entries(ports) as [keyof DemoPorts, number][];
  const free = await Promise.all(entries.map(([, port]) => isFree(port)));
  return entries.filter((_, index) => !free[index]).map(([name, port]) => ({ name, port }));
}

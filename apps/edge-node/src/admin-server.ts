import http from 'node:http';
import type net from 'node:net';
import { resourceTypeOrder, type ResourceType } from '@portcullis/config';
import type { ConfigStore } from './config-store.ts';
import type { DeltaStreamStatus } from './delta-stream.ts';

/** What /status reports. */
export interface EdgeStatus {
  readonly nodeId: string;
  /** A configuration is loaded and served (from the control plane or last-known-good). */
  readonly ready: boolean;
  readonly generation: number | undefined;
  /** Where the configuration came from at start: `last-known-good` or `control-plane`. */
  readonly loadedFrom: 'last-known-good' | 'control-plane' | undefined;
  /** Every stream has a working call. */
  readonly connected: boolean;
  readonly resources: { readonly [T in ResourceType]: { readonly count: number; readonly versions: Record<string, string> } };
  readonly streams: readonly DeltaStreamStatus[];
}

/** What the admin server reads. */
export interface AdminSources {
  readonly nodeId: string;
  readonly store: ConfigStore;
  streams(): readonly DeltaStreamStatus[];
  loadedFrom(): EdgeStatus['loadedFrom'];
}

/** The status document from its sources. */
export function edgeStatus(sources: AdminSources): EdgeStatus {
  const { store } = sources;
  const streams = sources.streams();
  const resources = Object.fromEntries(
    resourceTypeOrder.map((type) => {
      const versions = store.versions(type);
      return [type, { count: Object.keys(versions).length, versions }];
    }),
  ) as unknown as EdgeStatus['resources'];
  return {
    nodeId: sources.nodeId,
    ready: store.current !== undefined,
    generation: store.current?.generation,
    loadedFrom: sources.loadedFrom(),
    connected: streams.length > 0 && streams.every((s) => s.connected),
    resources,
    streams,
  };
}

/**
 * The admin listener (bind it to loopback or a private network): `GET /healthz` answers 200
 * once a configuration is served and 503 before, for load balancers and orchestrators;
 * `GET /status` answers the status document (JSON): node id, versions held per type, per
 * stream the system version, last ACK and NACK, and whether it is connected. Nothing secret
 * is in either.
 */
export async function startAdminServer(sources: AdminSources, host: string, port: number): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') return reply(res, 405, 'text/plain', 'method not allowed\n');
    if (path === '/healthz') {
      return sources.store.current ? reply(res, 200, 'text/plain', 'ok\n') : reply(res, 503, 'text/plain', 'no configuration yet\n');
    }
    if (path === '/status') return reply(res, 200, 'application/json', `${JSON.stringify(edgeStatus(sources), null, 2)}\n`);
    return reply(res, 404, 'text/plain', 'not found\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return server;
}

function reply(res: http.ServerResponse, status: number, type: string, body: string): void {
  res.writeHead(status, {
    'content-type': `${type}; charset=utf-8`,
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
  });
  res.end(body);
}

/** The port a listening server got. */
export function portOf(server: net.Server): number {
  return (server.address() as net.AddressInfo).port;
}

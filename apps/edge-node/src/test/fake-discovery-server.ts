import { EventEmitter } from 'node:events';
import { resourceTypeOf, resourceTypes, type EncodedResource, type ResourceType } from '@portcullis/config';
import { edgeV1 } from '@portcullis/proto';
import type { DeltaCall, DeltaTransport } from '../stream/delta-transport.ts';
import type { TypedResource } from './resources.ts';

/** The server side of one stream: grpc-js's ServerDuplexStream has this shape. */
export interface ServerCall {
  write(response: edgeV1.DeltaResourcesResponse): unknown;
  end(): unknown;
  on(event: 'data', listener: (request: edgeV1.DeltaResourcesRequest) => void): unknown;
  on(event: 'end' | 'error' | 'close' | 'cancelled', listener: () => void): unknown;
}

/** An ACK or NACK the server received, with the stream's type. */
export interface Answer {
  readonly type: ResourceType;
  readonly request: edgeV1.DeltaResourcesRequest;
}

interface Stream {
  readonly call: ServerCall;
  readonly type: ResourceType;
  readonly nodeId: string;
  /** What the server believes the edge holds: name → version. */
  readonly held: Map<string, string>;
  readonly nacked: Set<string>;
  inFlight: { nonce: string; resources: EncodedResource[]; removed: string[] } | undefined;
  sentAny: boolean;
}

/**
 * A small discovery server for tests, written from docs/edge-protocol.md: one response in
 * flight per stream, only what differs from what the edge holds, removals, nonces, never a
 * NACKed (name, version) again, a response even when nothing differs on a new stream, and a
 * heartbeat on every stream every `heartbeatMs` (default 1 s; `false`: only when `heartbeat()`
 * is called) carrying `systemVersion`, in sync when nothing is in flight, pending or refused.
 * It believes a NACK applied every resource it does not name (the edge's documented policy).
 */
export class FakeDiscoveryServer {
  readonly resources = new Map<ResourceType, Map<string, EncodedResource>>();
  readonly answers: Answer[] = [];
  readonly firstRequests: edgeV1.DeltaResourcesRequest[] = [];
  /** Heartbeats sent, per stream type. */
  readonly heartbeats: { type: ResourceType; response: edgeV1.DeltaResourcesResponse }[] = [];
  systemVersion = 1;
  /**
   * While true the server neither writes nor reads, as a hung (SIGSTOPped) process: its streams
   * stay open and silent.
   */
  silent = false;
  private readonly streams = new Set<Stream>();
  private readonly waiters = new Set<() => boolean>();
  private nonce = 0;
  private readonly beating: NodeJS.Timeout | undefined;

  constructor(options: { heartbeatMs?: number | false } = {}) {
    const every = options.heartbeatMs ?? 1_000;
    if (every !== false) {
      this.beating = setInterval(() => this.heartbeat(), every);
      this.beating.unref();
    }
  }

  /** Sends every open stream a heartbeat now (unless silent). */
  heartbeat(): void {
    if (this.silent) return;
    for (const stream of this.streams) {
      const current = this.table(stream.type);
      const inSync =
        !stream.inFlight &&
        stream.nacked.size === 0 &&
        stream.held.size === current.size &&
        [...current.values()].every((r) => stream.held.get(r.name) === r.version);
      const response = {
        typeUrl: resourceTypes[stream.type].typeUrl,
        resources: [],
        removedResources: [],
        nonce: '',
        systemVersion: this.systemVersion,
        heartbeat: true,
        inSync,
      };
      this.heartbeats.push({ type: stream.type, response });
      stream.call.write(response);
    }
  }

  /** Stops the automatic heartbeats. */
  close(): void {
    clearInterval(this.beating);
  }

  /** Adds or replaces resources and pushes them; resolves once every stream of their types took or refused them. */
  push(...items: TypedResource[]): Promise<void> {
    for (const { type, resource } of items) this.table(type).set(resource.name, resource);
    return this.changed(items.map(({ type, resource }) => ({ type, name: resource.name, version: resource.version })));
  }

  /** Removes resources by name and pushes the removal. */
  remove(type: ResourceType, ...names: string[]): Promise<void> {
    for (const name of names) this.table(type).delete(name);
    return this.changed(names.map((name) => ({ type, name, version: undefined })));
  }

  /** The edge's answers of `type` (ACKs and NACKs), oldest first. */
  answersOf(type: ResourceType): edgeV1.DeltaResourcesRequest[] {
    return this.answers.filter((a) => a.type === type).map((a) => a.request);
  }

  /** How many streams are open (of `type`, or in all). */
  connected(type?: ResourceType): number {
    return [...this.streams].filter((s) => type === undefined || s.type === type).length;
  }

  /** Resolves when `condition` holds after some answer (or at once). */
  until(condition: () => boolean): Promise<void> {
    if (condition()) return Promise.resolve();
    return new Promise((resolve) => {
      const waiter = () => {
        if (!condition()) return false;
        resolve();
        return true;
      };
      this.waiters.add(waiter);
    });
  }

  /** Ends every stream, as a restarting control plane would. */
  disconnectAll(): void {
    for (const stream of [...this.streams]) {
      this.streams.delete(stream);
      stream.call.end();
    }
  }

  /** Serves one stream. */
  handle(call: ServerCall): void {
    let stream: Stream | undefined;
    const drop = () => {
      if (stream) this.streams.delete(stream);
    };
    call.on('end', drop);
    call.on('error', drop);
    call.on('close', drop);
    call.on('cancelled', drop);
    call.on('data', (request) => {
      if (this.silent) return;
      if (!stream) {
        const type = resourceTypeOf(request.typeUrl);
        if (!type) {
          call.end();
          return;
        }
        this.firstRequests.push(request);
        stream = {
          call,
          type,
          nodeId: request.nodeId,
          held: new Map(Object.entries(request.initialResourceVersions)),
          nacked: new Set(),
          inFlight: undefined,
          sentAny: false,
        };
        this.streams.add(stream);
        this.send(stream);
        return;
      }
      this.answer(stream, request);
    });
  }

  private answer(stream: Stream, request: edgeV1.DeltaResourcesRequest): void {
    const inFlight = stream.inFlight;
    if (!inFlight || request.responseNonce !== inFlight.nonce) return;
    stream.inFlight = undefined;
    const refused = new Set(request.errorDetail?.resourceNames ?? []);
    for (const resource of inFlight.resources) {
      if (refused.has(resource.name)) stream.nacked.add(`${resource.name}@${resource.version}`);
      else stream.held.set(resource.name, resource.version);
    }
    for (const name of inFlight.removed) stream.held.delete(name);
    this.answers.push({ type: stream.type, request });
    this.send(stream);
    for (const waiter of [...this.waiters]) if (waiter()) this.waiters.delete(waiter);
  }

  private send(stream: Stream): void {
    if (stream.inFlight || this.silent) return;
    const current = this.table(stream.type);
    const resources = [...current.values()].filter(
      (r) => stream.held.get(r.name) !== r.version && !stream.nacked.has(`${r.name}@${r.version}`),
    );
    const removed = [...stream.held.keys()].filter((name) => !current.has(name));
    if (stream.sentAny && resources.length === 0 && removed.length === 0) return;
    stream.sentAny = true;
    const nonce = `n${++this.nonce}`;
    stream.inFlight = { nonce, resources, removed };
    stream.call.write({
      typeUrl: resourceTypes[stream.type].typeUrl,
      resources: resources.map(toWire),
      removedResources: removed,
      nonce,
      systemVersion: this.systemVersion,
      heartbeat: false,
      inSync: false,
    });
  }

  private changed(changes: { type: ResourceType; name: string; version: string | undefined }[]): Promise<void> {
    this.systemVersion += 1;
    const types = new Set(changes.map((c) => c.type));
    const streams = [...this.streams].filter((s) => types.has(s.type));
    for (const stream of streams) this.send(stream);
    return this.until(() =>
      streams.every(
        (stream) =>
          !this.streams.has(stream) ||
          changes
            .filter((c) => c.type === stream.type)
            .every((c) =>
              c.version === undefined
                ? !stream.held.has(c.name)
                : stream.held.get(c.name) === c.version || stream.nacked.has(`${c.name}@${c.version}`),
            ),
      ),
    );
  }

  private table(type: ResourceType): Map<string, EncodedResource> {
    let table = this.resources.get(type);
    if (!table) this.resources.set(type, (table = new Map()));
    return table;
  }
}

function toWire(resource: EncodedResource): edgeV1.Resource {
  return { name: resource.name, version: resource.version, body: Buffer.from(resource.body) };
}

/**
 * Connects edges to fake servers in memory: each message goes through protobuf encoding and
 * arrives on a later turn of the event loop, as over a socket. Turn `n` goes to server
 * `n mod count` (targets `memory-<i>`, or `memory` for one server), as the gRPC transport
 * cycles through addresses. While `available` is false, calls fail as an unreachable
 * server's would.
 */
export function memoryTransport(...servers: FakeDiscoveryServer[]): DeltaTransport & { available: boolean; opened: number } {
  const indexOf = (turn: number) => turn % servers.length;
  const transport = {
    available: true,
    opened: 0,
    target: (turn: number) => (servers.length === 1 ? 'memory' : `memory-${indexOf(turn)}`),
    close: () => undefined,
    open(turn: number): DeltaCall {
      const server = servers[indexOf(turn)]!;
      transport.opened += 1;
      const client = new EventEmitter();
      const serverSide = new EventEmitter();
      let open = true;
      const finish = (clientEvent: 'end' | 'error') => {
        if (!open) return;
        open = false;
        setImmediate(() => {
          client.emit(clientEvent, ...(clientEvent === 'error' ? [new Error('stream closed')] : []));
          serverSide.emit('close');
        });
      };
      if (!transport.available) {
        setImmediate(() => client.emit('error', new Error('14 UNAVAILABLE: no connection')));
        return Object.assign(client, { write: () => true, cancel: () => undefined }) as unknown as DeltaCall;
      }
      const serverCall = Object.assign(serverSide, {
        write(response: edgeV1.DeltaResourcesResponse) {
          const bytes = edgeV1.DeltaResourcesResponse.encode(response).finish();
          setImmediate(() => open && client.emit('data', edgeV1.DeltaResourcesResponse.decode(bytes)));
          return true;
        },
        end: () => finish('end'),
      });
      server.handle(serverCall as unknown as ServerCall);
      return Object.assign(client, {
        write(request: edgeV1.DeltaResourcesRequest) {
          const bytes = edgeV1.DeltaResourcesRequest.encode(request).finish();
          setImmediate(() => open && serverSide.emit('data', edgeV1.DeltaResourcesRequest.decode(bytes)));
          return true;
        },
        cancel: () => finish('error'),
      }) as unknown as DeltaCall;
    },
  };
  return transport;
}

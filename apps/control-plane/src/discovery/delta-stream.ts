import { randomBytes } from 'node:crypto';
import { resourceTypeOf, resourceTypes, type EncodedResource, type ResourceType } from '@portcullis/config';
import type { edgeV1 } from '@portcullis/proto';
import { nodeIdPattern } from '../domain/edge-enrollment.ts';
import type { EdgeStatusRecorder, StreamPeer } from './edge-status.ts';
import type { ReplicaCurrency, ReplicaLiveness } from './replica-liveness.ts';
import type { CacheUpdate, ResourceCache } from './resource-cache.ts';

export type DeltaRequest = edgeV1.DeltaResourcesRequest;
export type DeltaResponse = edgeV1.DeltaResourcesResponse;

/** Why the server ends a stream; the transport turns it into its own status. */
export interface StreamFailure {
  readonly code: 'InvalidArgument' | 'PermissionDenied' | 'Unavailable';
  readonly message: string;
}

/** The server's side of one bidirectional stream, whatever carries it (gRPC, or memory in tests). */
export interface DeltaChannel {
  /** Sends one response to the edge. */
  send(response: DeltaResponse): void;
  /** Ends the stream with `failure`; nothing is sent after it. */
  fail(failure: StreamFailure): void;
}

/** One stream as the transport drives it. */
export interface DeltaStream {
  /** Hands over a request from the edge, in the order they arrived. */
  receive(request: DeltaRequest): void;
  /** The edge ended the stream, or the transport broke. Idempotent. */
  close(): void;
}

export interface DeltaStreamOptions {
  readonly cache: ResourceCache;
  readonly status: EdgeStatusRecorder;
  /** Whether the replica may serve, and its beat: the stream's heartbeats. */
  readonly liveness: Pick<ReplicaLiveness, 'currency' | 'onBeat'>;
  /**
   * The node id the transport authenticated (the CN of the client certificate): the requests
   * must carry it. Undefined only where nothing authenticates (in-memory tests).
   */
  readonly authenticatedNodeId?: string;
  readonly peer?: StreamPeer;
  /** Resource bytes per response before the rest waits for the next one. Default 3 MiB. */
  readonly maxResponseBytes?: number;
  readonly newNonce?: () => string;
}

/** What the edge holds once it ACKs the response in flight. */
interface InFlight {
  readonly nonce: string;
  readonly sent: ReadonlyMap<string, string>;
  readonly removed: readonly string[];
  readonly systemVersion: number;
}

/**
 * Serves one delta stream (docs/edge-protocol.md, Envoy delta xDS style) from the shared
 * resource cache. Knows nothing of gRPC or of the store.
 *
 * - The first request names the type (`type_url`) and the node; `initial_resource_versions`
 *   are what the edge holds. The first response carries every resource whose version differs
 *   and the removal of every held name that no longer exists; it is sent even when empty.
 * - At most one response is in flight. Changes arriving meanwhile are only noted (by name) and
 *   coalesced into the next response, which is sent after the ACK or NACK — and only when
 *   something differs. A response carries at most `maxResponseBytes` of resources (at least
 *   one); the rest follows after the ACK.
 * - ACK (`response_nonce` of the response in flight, no error): the edge holds what was sent
 *   and dropped what was removed. A request with another nonce is stale and ignored.
 * - NACK: the named (name, version) pairs are never sent again; a later version is. Whether
 *   the edge applied the rest of a refused response is unknown, so the rest is offered again
 *   (an edge that did apply it just ACKs the repeat). A NACK naming none of the response's
 *   resources refuses them all, and then removals are not repeated either: every NACK takes
 *   something off the table, so an edge that refuses everything cannot make the two sides
 *   loop.
 * - Heartbeats: on every beat of `liveness` while the replica is current, a response with no
 *   resources, no removals, an empty nonce, `heartbeat` set and `system_version` = the
 *   revision the replica vouches for; `in_sync` when nothing is in flight, pending or refused
 *   (the edge then holds the type exactly as of that revision). Heartbeats are sent whether or
 *   not a response is in flight, and are never answered.
 * - A replica that is not current serves nothing: a new stream, or an open one at the first
 *   beat that finds it so, ends with `Unavailable`, so the edge moves to another replica.
 * - Every ACK and NACK is recorded in `status`. A `type_url` Portcullis does not serve, a
 *   missing or malformed node id, or a change of either mid-stream is `InvalidArgument`; a
 *   node id other than the authenticated one is `PermissionDenied`.
 */
export function openDeltaStream(channel: DeltaChannel, options: DeltaStreamOptions): DeltaStream {
  const { cache, status } = options;
  const maxBytes = options.maxResponseBytes ?? 3 * 1024 * 1024;
  const newNonce = options.newNonce ?? (() => randomBytes(12).toString('base64url'));

  let type: ResourceType | undefined;
  let nodeId = '';
  const held = new Map<string, string>();
  const nacked = new Map<string, string>();
  /** Names to look at for the next response; 'all' before the first. */
  let dirty: Set<string> | 'all' = 'all';
  let inFlight: InFlight | undefined;
  let stopWatching: (() => void) | undefined;
  let stopBeating: (() => void) | undefined;
  let closed = false;

  function fail(failure: StreamFailure) {
    if (closed) return;
    channel.fail(failure);
    close();
  }

  function close() {
    if (closed) return;
    closed = true;
    stopWatching?.();
    stopBeating?.();
    if (type) status.closed(nodeId, type);
  }

  function unavailable(currency: ReplicaCurrency & { current: false }) {
    fail({ code: 'Unavailable', message: `this replica cannot confirm it reads the current store (${currency.reason})` });
  }

  function start(request: DeltaRequest) {
    const currency = options.liveness.currency();
    if (!currency.current) return unavailable(currency);
    const requested = resourceTypeOf(request.typeUrl);
    if (!requested) return fail({ code: 'InvalidArgument', message: `unknown type_url ${JSON.stringify(request.typeUrl.slice(0, 200))}` });
    if (!nodeIdPattern.test(request.nodeId))
      return fail({ code: 'InvalidArgument', message: 'node_id must be 1–64 characters of a-z, 0-9 and "-"' });
    if (options.authenticatedNodeId !== undefined && request.nodeId !== options.authenticatedNodeId) {
      return fail({ code: 'PermissionDenied', message: 'node_id is not the common name of the client certificate' });
    }
    type = requested;
    nodeId = request.nodeId;
    for (const [name, version] of Object.entries(request.initialResourceVersions)) held.set(name, version);
    status.opened(nodeId, type, held, options.peer ?? {});
    stopWatching = cache.watch(onUpdate);
    stopBeating = options.liveness.onBeat(beat);
    respond(true);
  }

  function beat(currency: ReplicaCurrency) {
    if (closed || !type) return;
    if (!currency.current) return unavailable(currency);
    channel.send({
      typeUrl: resourceTypes[type].typeUrl,
      resources: [],
      removedResources: [],
      nonce: '',
      systemVersion: currency.revision,
      heartbeat: true,
      inSync: !inFlight && dirty !== 'all' && dirty.size === 0 && nacked.size === 0,
    });
  }

  function onUpdate(update: CacheUpdate) {
    if (closed || !type) return;
    if (dirty !== 'all') for (const name of update.changed[type]) dirty.add(name);
    respond(false);
  }

  /** Sends what differs, unless a response is in flight; `always` sends even an empty one. */
  function respond(always: boolean) {
    if (closed || inFlight || !type) return;
    const current = cache.resources(type);
    const names = dirty === 'all' ? new Set([...current.keys(), ...held.keys()]) : dirty;
    dirty = new Set();
    const resources: EncodedResource[] = [];
    const removed: string[] = [];
    let bytes = 0;
    for (const name of names) {
      const resource = current.get(name);
      if (!resource) {
        nacked.delete(name);
        if (held.has(name)) removed.push(name);
      } else if (held.get(name) !== resource.version && nacked.get(name) !== resource.version) {
        if (resources.length > 0 && bytes + resource.body.length > maxBytes) {
          dirty.add(name);
          continue;
        }
        resources.push(resource);
        bytes += resource.body.length;
      }
    }
    if (!always && resources.length === 0 && removed.length === 0) return;
    const flight: InFlight = {
      nonce: newNonce(),
      sent: new Map(resources.map((r) => [r.name, r.version])),
      removed,
      systemVersion: cache.version(),
    };
    inFlight = flight;
    channel.send({
      typeUrl: resourceTypes[type].typeUrl,
      resources: resources.map((r) => ({
        name: r.name,
        version: r.version,
        body: Buffer.from(r.body.buffer, r.body.byteOffset, r.body.byteLength),
      })),
      removedResources: removed,
      nonce: flight.nonce,
      systemVersion: flight.systemVersion,
      heartbeat: false,
      inSync: false,
    });
  }

  function acked(flight: InFlight) {
    for (const [name, version] of flight.sent) {
      held.set(name, version);
      nacked.delete(name);
    }
    for (const name of flight.removed) held.delete(name);
    status.acked(nodeId, type!, flight.systemVersion);
  }

  function refused(flight: InFlight, detail: edgeV1.ErrorDetail) {
    const named = detail.resourceNames.filter((name) => flight.sent.has(name));
    for (const name of named.length > 0 ? named : flight.sent.keys()) nacked.set(name, flight.sent.get(name)!);
    const again = dirty as Set<string>;
    for (const name of flight.sent.keys()) again.add(name);
    if (named.length > 0) for (const name of flight.removed) again.add(name);
    status.nacked(nodeId, type!, {
      code: detail.code,
      message: detail.message,
      resourceNames: detail.resourceNames,
      systemVersion: flight.systemVersion,
    });
  }

  return {
    receive(request) {
      if (closed) return;
      if (!type) return start(request);
      if (request.typeUrl !== '' && request.typeUrl !== resourceTypes[type].typeUrl) {
        return fail({ code: 'InvalidArgument', message: 'type_url cannot change within a stream' });
      }
      if (request.nodeId !== '' && request.nodeId !== nodeId) {
        return fail({ code: 'InvalidArgument', message: 'node_id cannot change within a stream' });
      }
      status.seen(nodeId);
      const flight = inFlight;
      if (!flight || request.responseNonce !== flight.nonce) return;
      inFlight = undefined;
      if (request.errorDetail) refused(flight, request.errorDetail);
      else acked(flight);
      respond(false);
    },
    close,
  };
}

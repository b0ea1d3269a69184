import { resourceTypeOrder, resourceTypes, type ResourceType } from '@portcullis/config';
import type { ReplicaLiveness } from './replica-liveness.ts';

/** What an edge refused, as its last NACK of a type said. */
export interface NackRecord {
  readonly code: string;
  readonly message: string;
  readonly resourceNames: readonly string[];
  /** The system_version of the refused response. */
  readonly systemVersion: number;
  readonly at: string;
}

/** What one edge runs of one resource type, as far as its ACKs and NACKs tell. */
export interface TypeStatus {
  readonly type: ResourceType;
  readonly typeUrl: string;
  /** Open streams of this type from the edge (normally 0 or 1; 2 briefly during a reconnect). */
  readonly openStreams: number;
  /** name → version the edge ACKed (or held when it connected, before its first ACK). */
  readonly versions: ReadonlyMap<string, string>;
  /** The system_version of the last response the edge ACKed; undefined before the first ACK. */
  readonly ackedSystemVersion: number | undefined;
  readonly ackedAt: string | undefined;
  readonly lastNack: NackRecord | undefined;
  /**
   * Whether the edge holds exactly this replica's current resources of the type; false
   * whenever the replica cannot confirm it reads the current store (its resources may be
   * stale, so nobody is in sync with them); undefined while no cache is followed (see `follow`).
   */
  readonly inSync: boolean | undefined;
}

/** One edge as this replica's discovery streams have seen it. */
export interface EdgeStatus {
  readonly nodeId: string;
  /** At least one stream is open. */
  readonly connected: boolean;
  /** When the current connection began (first stream opened after none); undefined when disconnected. */
  readonly connectedSince: string | undefined;
  /** The last request or stream event from the edge. */
  readonly lastSeen: string;
  /** The peer address of the latest stream, e.g. `10.0.0.7:51234`. */
  readonly peer: string | undefined;
  /** The node certificate of the latest stream: when it expires, so renewal can be planned. */
  readonly certificate: { readonly serialNumber: string; readonly notAfter: string } | undefined;
  readonly types: readonly TypeStatus[];
}

/** Who connected, as the transport established it. */
export interface StreamPeer {
  readonly address?: string;
  readonly certificate?: { readonly serialNumber: string; readonly notAfter: string };
}

/** What a delta stream reports; implemented by {@link edgeStatusRegistry}. */
export interface EdgeStatusRecorder {
  /** A stream of `type` opened; `held` is the stream's live map of the edge's versions. */
  opened(nodeId: string, type: ResourceType, held: ReadonlyMap<string, string>, peer: StreamPeer): void;
  /** Any request arrived. */
  seen(nodeId: string): void;
  /** The edge ACKed a response that brought it to `systemVersion`. */
  acked(nodeId: string, type: ResourceType, systemVersion: number): void;
  nacked(nodeId: string, type: ResourceType, nack: Omit<NackRecord, 'at'>): void;
  /** A stream of `type` ended. */
  closed(nodeId: string, type: ResourceType): void;
}

/** The resources an edge should hold: what `inSync` compares with (the replica's resource cache). */
export interface CurrentResources {
  version(): number;
  resources(type: ResourceType): ReadonlyMap<string, { readonly version: string }>;
}

/** The status of every edge this replica has served; read by the admin API. */
export interface EdgeStatusRegistry extends EdgeStatusRecorder {
  /** Every edge, most recently seen first. */
  list(): EdgeStatus[];
  get(nodeId: string): EdgeStatus | undefined;
  /**
   * Compares edges with `current` from now on, while `liveness` says the replica is current
   * (the discovery server calls it at start).
   */
  follow(current: CurrentResources, liveness: Pick<ReplicaLiveness, 'currency'>): void;
  /** The store revision of the followed resources; undefined when none are followed. */
  systemVersion(): number | undefined;
}

interface MutableType {
  openStreams: number;
  versions: ReadonlyMap<string, string>;
  ackedSystemVersion: number | undefined;
  ackedAt: string | undefined;
  lastNack: NackRecord | undefined;
}

interface MutableEdge {
  nodeId: string;
  connectedSince: string | undefined;
  lastSeen: string;
  peer: string | undefined;
  certificate: EdgeStatus['certificate'];
  types: Map<ResourceType, MutableType>;
}

/** Edges kept at most; the longest-disconnected are forgotten first. */
const maxEdges = 10_000;
const maxNackNames = 100;

/**
 * Per-edge status held in this process. Each replica knows only the edges whose streams it
 * serves (an edge connects to one replica at a time, through the load balancer); an edge that
 * moved to another replica stays here as disconnected. Nothing is stored, so a restart starts
 * empty and edges reappear as they reconnect.
 */
export function edgeStatusRegistry(now: () => Date = () => new Date()): EdgeStatusRegistry {
  const edges = new Map<string, MutableEdge>();
  let current: CurrentResources | undefined;
  let liveness: Pick<ReplicaLiveness, 'currency'> | undefined;

  function inSync(type: ResourceType, versions: ReadonlyMap<string, string>): boolean | undefined {
    if (!current) return undefined;
    if (!liveness?.currency().current) return false;
    const wanted = current.resources(type);
    if (wanted.size !== versions.size) return false;
    for (const [name, resource] of wanted) if (versions.get(name) !== resource.version) return false;
    return true;
  }

  function edge(nodeId: string): MutableEdge {
    let found = edges.get(nodeId);
    if (!found) {
      if (edges.size >= maxEdges) forgetOne();
      found = {
        nodeId,
        connectedSince: undefined,
        lastSeen: now().toISOString(),
        peer: undefined,
        certificate: undefined,
        types: new Map(),
      };
      edges.set(nodeId, found);
    }
    found.lastSeen = now().toISOString();
    return found;
  }

  function typeOf(e: MutableEdge, type: ResourceType): MutableType {
    let found = e.types.get(type);
    if (!found) {
      found = { openStreams: 0, versions: new Map(), ackedSystemVersion: undefined, ackedAt: undefined, lastNack: undefined };
      e.types.set(type, found);
    }
    return found;
  }

  function openStreams(e: MutableEdge): number {
    let n = 0;
    for (const t of e.types.values()) n += t.openStreams;
    return n;
  }

  function forgetOne() {
    let oldest: MutableEdge | undefined;
    for (const e of edges.values()) if (openStreams(e) === 0 && (!oldest || e.lastSeen < oldest.lastSeen)) oldest = e;
    if (oldest) edges.delete(oldest.nodeId);
  }

  function present(e: MutableEdge): EdgeStatus {
    return {
      nodeId: e.nodeId,
      connected: openStreams(e) > 0,
      connectedSince: e.connectedSince,
      lastSeen: e.lastSeen,
      peer: e.peer,
      certificate: e.certificate,
      types: resourceTypeOrder
        .filter((type) => e.types.has(type))
        .map((type) => {
          const t = e.types.get(type)!;
          return { type, typeUrl: resourceTypes[type].typeUrl, ...t, inSync: inSync(type, t.versions) };
        }),
    };
  }

  return {
    opened(nodeId, type, held, peer) {
      const e = edge(nodeId);
      if (openStreams(e) === 0) e.connectedSince = e.lastSeen;
      e.peer = peer.address ?? e.peer;
      e.certificate = peer.certificate ?? e.certificate;
      const t = typeOf(e, type);
      t.openStreams++;
      t.versions = held;
    },
    seen(nodeId) {
      edge(nodeId);
    },
    acked(nodeId, type, systemVersion) {
      const e = edge(nodeId);
      const t = typeOf(e, type);
      t.ackedSystemVersion = systemVersion;
      t.ackedAt = e.lastSeen;
    },
    nacked(nodeId, type, nack) {
      const e = edge(nodeId);
      typeOf(e, type).lastNack = {
        ...nack,
        code: nack.code.slice(0, 200),
        message: nack.message.slice(0, 2000),
        resourceNames: nack.resourceNames.slice(0, maxNackNames),
        at: e.lastSeen,
      };
    },
    closed(nodeId, type) {
      const e = edge(nodeId);
      const t = typeOf(e, type);
      t.openStreams = Math.max(0, t.openStreams - 1);
      if (openStreams(e) === 0) e.connectedSince = undefined;
    },
    list() {
      return [...edges.values()].sort((a, b) => (a.lastSeen < b.lastSeen ? 1 : a.lastSeen > b.lastSeen ? -1 : 0)).map(present);
    },
    get(nodeId) {
      const e = edges.get(nodeId);
      return e && present(e);
    },
    follow(resources, replica) {
      current = resources;
      liveness = replica;
    },
    systemVersion: () => current?.version(),
  };
}

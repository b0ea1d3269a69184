import { resourceTypes, type ConfigError, type ResourceType } from '@portcullis/config';
import type { edgeV1 } from '@portcullis/proto';
import type { ConfigStore } from '../config/config-store.ts';
import type { DeltaCall, DeltaTransport } from './delta-transport.ts';
import type { EdgeLogger } from '../edge-logger.ts';
import { backoffDelay, defaultBackoff, type BackoffPolicy } from './reconnect-backoff.ts';

/** What one stream has done, for /status. Times are ISO strings. */
export interface DeltaStreamStatus {
  readonly type: ResourceType;
  /**
   * The current call has heard from the control plane (a response or a heartbeat) within the
   * stale bound and has not failed since.
   */
  readonly connected: boolean;
  readonly target: string | undefined;
  /** When the last message (response or heartbeat) arrived, on any call. */
  readonly heardAt: string | undefined;
  /**
   * The control plane's revision this edge's resources of the type reflect: that of the last
   * response applied without refusal, or of the last heartbeat that said the stream is in sync.
   */
  readonly systemVersion: number | undefined;
  /** The revision the last heartbeat vouched for as the store's current one. */
  readonly heartbeatRevision: number | undefined;
  /** When the last heartbeat arrived (from a replica that was current: others send none). */
  readonly heartbeatAt: string | undefined;
  /** Milliseconds since `heartbeatAt`: how old the knowledge that this configuration is current is. */
  readonly configAgeMs: number | undefined;
  /** `heartbeatRevision - systemVersion` (never below 0): revisions the configuration of the type is behind. */
  readonly revisionLag: number | undefined;
  readonly lastAck: { readonly nonce: string; readonly at: string } | undefined;
  readonly lastNack:
    | {
        readonly nonce: string;
        readonly at: string;
        readonly code: string;
        readonly message: string;
        readonly resourceNames: readonly string[];
      }
    | undefined;
  readonly reconnects: number;
  /** Calls abandoned because the control plane went silent for the stale bound. */
  readonly staleCalls: number;
  /** Why the last call ended (a permanent refusal, say PERMISSION_DENIED, shows here). */
  readonly lastError: string | undefined;
}

/** The timers the stream loop uses; tests pass a manual clock. */
export interface StreamClock {
  now(): number;
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export interface DeltaStreamOptions {
  readonly type: ResourceType;
  readonly nodeId: string;
  readonly transport: DeltaTransport;
  readonly store: Pick<ConfigStore, 'apply' | 'versions'>;
  readonly log: EdgeLogger;
  readonly backoff?: BackoffPolicy;
  readonly random?: () => number;
  /** Silence after which a call is stale and abandoned for the next address. Default 5 s. */
  readonly staleAfterMs?: number;
  readonly clock?: StreamClock;
  /** Called after every message received and whenever `connected` changes. */
  readonly onChange?: () => void;
  /**
   * Called after each response is handed to the store, before it is answered: the answer waits
   * for it. `ok: false` NACKs the response whole (code `Edge.WorkersNotSwapped`, naming every
   * resource in it) with `reason` as the message. Used by an edge with worker processes: the
   * node answers only once every worker serves the new snapshot (workers/worker-pool.ts).
   * Unset: the answer is sent at once.
   */
  readonly confirm?: () => Promise<ConfirmOutcome>;
}

/** Whether every process serving for the node has swapped in the configuration just applied. */
export type ConfirmOutcome = { readonly ok: true } | { readonly ok: false; readonly reason: string };

export interface DeltaStream {
  status(): DeltaStreamStatus;
  /** Cancels the call and stops reconnecting. */
  stop(): void;
}

/** Longest NACK message sent: the detail is for operators, not a dump of every error. */
const maxNackMessage = 2000;

/**
 * Heartbeats come every second: four missed ones mean the replica is gone or hung. Four, not
 * five, so that an edge has left a hung replica within 5 s of its last sign of life.
 */
export const defaultStaleAfterMs = 4_000;

const systemClock: StreamClock = {
  now: Date.now,
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

/**
 * Runs the delta protocol for one resource type (docs/edge-protocol.md) until stopped: opens
 * a call, sends the versions the store holds, and answers every response after handing it to
 * the store: ACK when the store took every resource, NACK with the refused names otherwise
 * (the store has applied the resources that were valid and kept the last good version of the
 * others). Heartbeats are never answered; they keep the call alive and tell the configuration's
 * age and lag.
 *
 * A call that hears nothing (no response, no heartbeat) for `staleAfterMs` is stale: it is
 * cancelled and the next address is tried at once, so a hung replica is left within the
 * bound even though its TCP connection looks alive. When a call fails or ends, the next
 * address is tried after a jittered exponential delay (bounded by the backoff policy), reset
 * once a call hears from the control plane again. Knows nothing of how the configuration is
 * served.
 */
export function startDeltaStream(options: DeltaStreamOptions): DeltaStream {
  const { type, nodeId, transport, store, log } = options;
  const clock = options.clock ?? systemClock;
  const staleAfterMs = options.staleAfterMs ?? defaultStaleAfterMs;
  const typeUrl = resourceTypes[type].typeUrl;
  let call: DeltaCall | undefined;
  let timer: unknown;
  let watchdog: unknown;
  let stopped = false;
  /** Failed calls since the last one that heard from the control plane: the backoff step. */
  let attempt = 0;
  /** Calls given up so far: which address the next one goes to. */
  let turn = 0;
  let heartbeatAt: number | undefined;
  let status: Omit<DeltaStreamStatus, 'configAgeMs' | 'revisionLag'> = {
    type,
    connected: false,
    target: undefined,
    heardAt: undefined,
    systemVersion: undefined,
    heartbeatRevision: undefined,
    heartbeatAt: undefined,
    lastAck: undefined,
    lastNack: undefined,
    reconnects: 0,
    staleCalls: 0,
    lastError: undefined,
  };

  const setConnected = (connected: boolean) => {
    if (status.connected !== connected) status = { ...status, connected };
    options.onChange?.();
  };

  const request = (fields: Partial<edgeV1.DeltaResourcesRequest>): edgeV1.DeltaResourcesRequest => ({
    nodeId,
    typeUrl,
    initialResourceVersions: {},
    responseNonce: '',
    errorDetail: undefined,
    ...fields,
  });

  const heartbeat = (response: edgeV1.DeltaResourcesResponse) => {
    heartbeatAt = clock.now();
    status = {
      ...status,
      heartbeatRevision: response.systemVersion,
      heartbeatAt: new Date(heartbeatAt).toISOString(),
      ...(response.inSync ? { systemVersion: response.systemVersion } : {}),
    };
  };

  const answer = (current: DeltaCall, response: edgeV1.DeltaResourcesResponse, isOpen: () => boolean) => {
    const rejected: readonly ConfigError[] =
      response.typeUrl === typeUrl ? store.apply(type, response.resources, response.removedResources).rejected : [];
    if (!options.confirm) return reply(current, response, rejected, undefined);
    void options.confirm().then((outcome) => {
      // A call that ended meanwhile is not answered: the next one sends the versions held.
      if (isOpen()) reply(current, response, rejected, outcome.ok ? undefined : outcome.reason);
    });
  };

  const reply = (
    current: DeltaCall,
    response: edgeV1.DeltaResourcesResponse,
    rejected: readonly ConfigError[],
    notSwapped: string | undefined,
  ) => {
    const wrongType = response.typeUrl !== typeUrl;
    const at = new Date(clock.now()).toISOString();
    if (!wrongType && rejected.length === 0 && notSwapped === undefined) {
      status = { ...status, systemVersion: response.systemVersion, lastAck: { nonce: response.nonce, at } };
      current.write(request({ responseNonce: response.nonce }));
      log.debug(
        { type, nonce: response.nonce, resources: response.resources.length, removed: response.removedResources.length },
        'config ACK',
      );
      return;
    }
    const codes = new Set(rejected.map((error) => error.code));
    const errorDetail: edgeV1.ErrorDetail = wrongType
      ? { code: 'Resource.Invalid', message: `this stream carries ${typeUrl}, not ${response.typeUrl}`, resourceNames: [] }
      : notSwapped !== undefined
        ? {
            code: 'Edge.WorkersNotSwapped',
            message: notSwapped.slice(0, maxNackMessage),
            resourceNames: response.resources.map((resource) => resource.name),
          }
        : {
            code: codes.size === 1 ? [...codes][0]! : 'Resource.Invalid',
            message: rejected
              .map((error) => error.message)
              .join('; ')
              .slice(0, maxNackMessage),
            resourceNames: rejected.map((error) => error.resourceName),
          };
    status = { ...status, lastNack: { nonce: response.nonce, at, ...errorDetail } };
    current.write(request({ responseNonce: response.nonce, errorDetail }));
    log.warn(
      { type, nonce: response.nonce, code: errorDetail.code, names: errorDetail.resourceNames, detail: errorDetail.message },
      'config NACK',
    );
  };

  const connect = () => {
    timer = undefined;
    if (stopped) return;
    const current = transport.open(turn);
    call = current;
    status = { ...status, target: transport.target(turn) };
    let closed = false;
    let lastHeard = clock.now();

    /** Gives the call up; `stale` moves on at once, a failure after the backoff delay. */
    const giveUp = (reason: string, stale: boolean) => {
      if (closed || stopped) return;
      closed = true;
      clock.clearTimeout(watchdog);
      call = undefined;
      const delay = stale ? 0 : backoffDelay(attempt, options.backoff ?? defaultBackoff, options.random);
      attempt += 1;
      turn += 1;
      status = {
        ...status,
        reconnects: status.reconnects + 1,
        staleCalls: status.staleCalls + (stale ? 1 : 0),
        lastError: reason,
      };
      log.debug({ type, target: status.target, error: reason, next: transport.target(turn), retryInMs: delay }, 'discovery stream closed');
      setConnected(false);
      if (stale) {
        current.cancel();
        return connect();
      }
      timer = clock.setTimeout(connect, delay);
    };

    const watch = () => {
      watchdog = clock.setTimeout(
        () => {
          // Messages that arrived while this process was busy are read before the check.
          setImmediate(() => {
            if (closed || stopped) return;
            const silentMs = clock.now() - lastHeard;
            if (silentMs < staleAfterMs) return watch();
            giveUp(`stale: nothing from the control plane for ${silentMs} ms`, true);
          });
        },
        staleAfterMs - (clock.now() - lastHeard),
      );
    };

    current.on('data', (response) => {
      if (closed || stopped) return;
      lastHeard = clock.now();
      status = { ...status, heardAt: new Date(lastHeard).toISOString() };
      attempt = 0;
      if (response.heartbeat) heartbeat(response);
      else answer(current, response, () => !closed && !stopped);
      setConnected(true);
    });
    current.on('error', (error) => giveUp(error.message, false));
    current.on('end', () => giveUp('stream ended', false));
    current.write(request({ initialResourceVersions: store.versions(type) }));
    watch();
  };

  connect();
  return {
    status() {
      const { heartbeatRevision, systemVersion } = status;
      return {
        ...status,
        configAgeMs: heartbeatAt === undefined ? undefined : Math.max(0, clock.now() - heartbeatAt),
        revisionLag:
          heartbeatRevision === undefined || systemVersion === undefined ? undefined : Math.max(0, heartbeatRevision - systemVersion),
      };
    },
    stop() {
      stopped = true;
      clock.clearTimeout(timer);
      clock.clearTimeout(watchdog);
      call?.cancel();
      call = undefined;
      setConnected(false);
    },
  };
}

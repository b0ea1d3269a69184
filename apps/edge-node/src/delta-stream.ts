import { resourceTypes, type ConfigError, type ResourceType } from '@portcullis/config';
import type { edgeV1 } from '@portcullis/proto';
import type { ConfigStore } from './config-store.ts';
import type { DeltaCall, DeltaTransport } from './delta-transport.ts';
import type { EdgeLogger } from './edge-logger.ts';
import { backoffDelay, defaultBackoff, type BackoffPolicy } from './reconnect-backoff.ts';

/** What one stream has done, for /status. Times are ISO strings. */
export interface DeltaStreamStatus {
  readonly type: ResourceType;
  /** The current call has received a response and has not failed since. */
  readonly connected: boolean;
  readonly target: string | undefined;
  /** The control plane's revision of the last response this edge applied without refusal. */
  readonly systemVersion: number | undefined;
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
  /** Why the last call ended (a permanent refusal, say PERMISSION_DENIED, shows here). */
  readonly lastError: string | undefined;
}

export interface DeltaStreamOptions {
  readonly type: ResourceType;
  readonly nodeId: string;
  readonly transport: DeltaTransport;
  readonly store: Pick<ConfigStore, 'apply' | 'versions'>;
  readonly log: EdgeLogger;
  readonly backoff?: BackoffPolicy;
  readonly random?: () => number;
}

export interface DeltaStream {
  status(): DeltaStreamStatus;
  /** Cancels the call and stops reconnecting. */
  stop(): void;
}

/** Longest NACK message sent: the detail is for operators, not a dump of every error. */
const maxNackMessage = 2000;

/**
 * Runs the delta protocol for one resource type (docs/edge-protocol.md) until stopped: opens
 * a call, sends the versions the store holds, and answers every response after handing it to
 * the store: ACK when the store took every resource, NACK with the refused names otherwise
 * (the store has applied the resources that were valid and kept the last good version of the
 * others). When the call fails or ends, reconnects after a jittered exponential delay, reset
 * by the next response received. Knows nothing of how the configuration is served.
 */
export function startDeltaStream(options: DeltaStreamOptions): DeltaStream {
  const { type, nodeId, transport, store, log } = options;
  const typeUrl = resourceTypes[type].typeUrl;
  let call: DeltaCall | undefined;
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  let attempt = 0;
  let status: DeltaStreamStatus = {
    type,
    connected: false,
    target: undefined,
    systemVersion: undefined,
    lastAck: undefined,
    lastNack: undefined,
    reconnects: 0,
    lastError: undefined,
  };

  const request = (fields: Partial<edgeV1.DeltaResourcesRequest>): edgeV1.DeltaResourcesRequest => ({
    nodeId,
    typeUrl,
    initialResourceVersions: {},
    responseNonce: '',
    errorDetail: undefined,
    ...fields,
  });

  const answer = (current: DeltaCall, response: edgeV1.DeltaResourcesResponse) => {
    attempt = 0;
    status = { ...status, connected: true };
    const rejected: readonly ConfigError[] =
      response.typeUrl === typeUrl ? store.apply(type, response.resources, response.removedResources).rejected : [];
    const wrongType = response.typeUrl !== typeUrl;
    const at = new Date().toISOString();
    if (!wrongType && rejected.length === 0) {
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
    const current = transport.open(attempt);
    call = current;
    status = { ...status, target: transport.target(attempt), connected: false };
    let closed = false;
    const closeOnce = (error: Error | undefined) => {
      if (closed || stopped) return;
      closed = true;
      call = undefined;
      const delay = backoffDelay(attempt, options.backoff ?? defaultBackoff, options.random);
      // The first failure and the loss of a working stream are news; further retries are not.
      log[status.connected || attempt === 0 ? 'warn' : 'debug'](
        { type, target: status.target, error: error?.message ?? 'stream ended', retryInMs: delay },
        'discovery stream closed; reconnecting',
      );
      attempt += 1;
      status = { ...status, connected: false, reconnects: status.reconnects + 1, lastError: error?.message ?? 'stream ended' };
      timer = setTimeout(connect, delay);
    };
    current.on('data', (response) => {
      if (!closed && !stopped) answer(current, response);
    });
    current.on('error', (error) => closeOnce(error));
    current.on('end', () => closeOnce(undefined));
    current.write(request({ initialResourceVersions: store.versions(type) }));
  };

  connect();
  return {
    status: () => status,
    stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
      call?.cancel();
      call = undefined;
      status = { ...status, connected: false };
    },
  };
}

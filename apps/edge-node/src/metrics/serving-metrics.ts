import { Counter, Gauge, Histogram, Registry, type MetricObjectWithValues, type MetricValue } from 'prom-client';
import type { ClientCertFacts, Decision } from '@portcullis/waf';
import type { OriginErrorCode } from '../origin/origin-error.ts';

/** A registry's metrics as JSON (`Registry.getMetricsAsJSON`): what crosses the worker IPC channel. */
export type MetricsJson = MetricObjectWithValues<MetricValue<string>>[];

/** What a hostname is, for the handshake counter: never the hostname itself (unbounded). */
export type HostnameKind = 'mtls' | 'plain' | 'unknown';

/**
 * How a connection's TLS start ended: `completed` (handshake done), `failed` (closed or errored
 * before it was), `refused` (no credential for the server name, or none sent: unrecognized_name),
 * `invalid` (not a TLS ClientHello, or one in too many pieces), `capacity` (over the connection cap).
 */
export type HandshakeOutcome = 'completed' | 'failed' | 'refused' | 'invalid' | 'capacity';

/** How a request was answered: `refuse` (the edge's own 400/421/431), `block` (WAF), `forward` (origin), `invalid` (unparsable head). */
export type RequestKind = 'refuse' | 'block' | 'forward' | 'invalid';

const latencyBuckets = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * One serving process's metrics (a worker, or the only process), in a registry of its own so
 * the primary can merge every worker's (`aggregateMetrics`). The hot path only increments
 * label children bound once (per label set, cached on first use): no label object and no
 * string is built per request. Every label value is bounded by code or configuration: a
 * hostname kind, a site id, a rule id, an action, a status code, a verification result, an
 * origin error code.
 */
export interface ServingMetrics {
  readonly registry: Registry;
  handshake(kind: HostnameKind, outcome: HandshakeOutcome): void;
  connectionOpened(): void;
  connectionClosed(): void;
  /** A request the WAF evaluated (block or forward): its decision and, on mTLS hostnames, the certificate check. */
  evaluated(siteId: string, decision: Decision, clientCert: ClientCertFacts | undefined): void;
  /** A response is complete (or cut short): its status and the time since the request's head (performance.now() ms). */
  responded(kind: RequestKind, status: number, startedMs: number | undefined): void;
  /** The origin's response head arrived `ms` after the request was sent. */
  originResponded(ms: number): void;
  originFailed(code: OriginErrorCode): void;
}

type Child = { inc(value?: number): void };
type Observer = { observe(value: number): void };

/** Label children by one bounded key, made on first use. */
function cache1<T>(make: (a: string) => T): (a: string) => T {
  const children = new Map<string, T>();
  return (a) => {
    let child = children.get(a);
    if (child === undefined) children.set(a, (child = make(a)));
    return child;
  };
}

/** Label children by two bounded keys (nested maps: no key string is built per call). */
function cache2<T>(make: (a: string, b: string) => T): (a: string, b: string) => T {
  const levels = new Map<string, (b: string) => T>();
  return (a, b) => {
    let level = levels.get(a);
    if (level === undefined) levels.set(a, (level = cache1((b) => make(a, b))));
    return level(b);
  };
}

/** Label children by three bounded keys. */
function cache3<T>(make: (a: string, b: string, c: string) => T): (a: string, b: string, c: string) => T {
  const levels = new Map<string, (b: string, c: string) => T>();
  return (a, b, c) => {
    let level = levels.get(a);
    if (level === undefined) levels.set(a, (level = cache2((b, c) => make(a, b, c))));
    return level(b, c);
  };
}

export function createServingMetrics(): ServingMetrics {
  const registry = new Registry();
  const registers = [registry];
  const handshakes = new Counter({
    name: 'portcullis_edge_tls_handshakes_total',
    help: 'TLS connections by hostname kind (mtls, plain, unknown) and how their handshake ended.',
    labelNames: ['hostname_kind', 'outcome'],
    registers,
  });
  const open = new Gauge({ name: 'portcullis_edge_open_connections', help: 'Client TCP connections open now.', registers });
  const checks = new Counter({
    name: 'portcullis_edge_client_certificate_checks_total',
    help: 'Client certificate checks per request on mTLS hostnames: verified, none (not presented), or the failure reason.',
    labelNames: ['result'],
    registers,
  });
  const decisions = new Counter({
    name: 'portcullis_edge_waf_decisions_total',
    help: 'WAF decisions by site, deciding rule ("" when no rule decided) and action (block, allow, pass).',
    labelNames: ['site', 'rule', 'action'],
    registers,
  });
  const responses = new Counter({
    name: 'portcullis_edge_responses_total',
    help: 'Responses by status code and by how the request was answered (refuse, block, forward, invalid).',
    labelNames: ['kind', 'status'],
    registers,
  });
  const requestSeconds = new Histogram({
    name: 'portcullis_edge_request_duration_seconds',
    help: 'Time from a request head to the end of its response, by how it was answered.',
    labelNames: ['kind'],
    buckets: latencyBuckets,
    registers,
  });
  const originSeconds = new Histogram({
    name: 'portcullis_edge_origin_response_seconds',
    help: "Time from sending a request to the origin to its response head (the origin's latency).",
    buckets: latencyBuckets,
    registers,
  });
  const originErrors = new Counter({
    name: 'portcullis_edge_origin_errors_total',
    help: 'Origin exchanges that failed, by error code (unreachable, connect-timeout, timeout, reset, bad-response, request-body, invalid-request).',
    labelNames: ['code'],
    registers,
  });

  const handshakeChild = cache2<Child>((kind, outcome) => handshakes.labels(kind, outcome));
  const checkChild = cache1<Child>((result) => checks.labels(result));
  const decisionChild = cache3<Child>((site, rule, action) => decisions.labels(site, rule, action));
  const responseChild = cache2<Child>((kind, status) => responses.labels(kind, status));
  const durationChild = cache1<Observer>((kind) => requestSeconds.labels(kind));
  const errorChild = cache1<Child>((code) => originErrors.labels(code));
  /** Status codes as label strings, made once each. */
  const statusText = new Map<number, string>();
  const statusLabel = (status: number) => {
    let text = statusText.get(status);
    if (text === undefined) statusText.set(status, (text = String(status)));
    return text;
  };

  return {
    registry,
    handshake: (kind, outcome) => handshakeChild(kind, outcome).inc(),
    connectionOpened: () => open.inc(),
    connectionClosed: () => open.dec(),
    evaluated(siteId, decision, clientCert) {
      decisionChild(siteId, decision.ruleId ?? '', decision.action).inc();
      if (clientCert) checkChild(!clientCert.presented ? 'none' : clientCert.error === '' ? 'verified' : clientCert.error).inc();
    },
    responded(kind, status, startedMs) {
      responseChild(kind, statusLabel(status)).inc();
      if (startedMs !== undefined) durationChild(kind).observe((performance.now() - startedMs) / 1000);
    },
    originResponded: (ms) => originSeconds.observe(ms / 1000),
    originFailed: (code) => errorChild(code).inc(),
  };
}

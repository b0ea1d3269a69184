import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { EdgeStatus } from '../discovery/edge-status.ts';
import type { DomainMetrics } from '../domain/domain-metrics.ts';
import type { StoreHealth } from '../store/store-health.ts';
import type { StoreTimer } from '../store/timed-store.ts';

/** What the scrape-time metrics read, once the parts that hold them have started. */
export interface ControlPlaneMetricSources {
  readonly storeHealth?: StoreHealth;
  /** Every edge this replica's discovery has seen (services.edges). */
  readonly edges?: { list(): EdgeStatus[] };
  /** The discovery resource cache: the store revision it reflects. */
  readonly cache?: { version(): number };
}

/** The control plane's metrics: one registry, fed by the HTTP app, the store decorator and the domain. */
export interface ControlPlaneMetrics {
  readonly registry: Registry;
  /** Issuance and revocation counters for the domain services (`Deps.metrics`). */
  readonly domain: DomainMetrics;
  /** For `timedStore`. */
  readonly storeTimer: StoreTimer;
  /** One HTTP request answered: method, route pattern (never the raw URL), status, seconds. */
  httpRequest(method: string, route: string, status: number, seconds: number): void;
  /** Adds sources read at scrape time (store health first, discovery once it started). */
  watch(sources: ControlPlaneMetricSources): void;
  /** The text format. */
  text(): Promise<string>;
}

/** The Content-Type of the text format (`text/plain; version=0.0.4; charset=utf-8`). */
export const metricsContentType = Registry.PROMETHEUS_CONTENT_TYPE;

const latencyBuckets = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/**
 * Creates the registry. Labels are bounded: route patterns and methods come from the routes
 * declared, statuses are codes, store operations are the `Store` methods, edges are the
 * fleet's node ids (one series per edge this replica has seen).
 */
export function createControlPlaneMetrics(): ControlPlaneMetrics {
  const registry = new Registry();
  const registers = [registry];
  let sources: ControlPlaneMetricSources = {};

  const requests = new Counter({
    name: 'portcullis_cp_http_requests_total',
    help: 'HTTP API requests by method, route pattern ("unmatched" when no route matched) and status code.',
    labelNames: ['method', 'route', 'status'],
    registers,
  });
  const requestSeconds = new Histogram({
    name: 'portcullis_cp_http_request_duration_seconds',
    help: 'HTTP API request latency by method and route pattern.',
    labelNames: ['method', 'route'],
    buckets: latencyBuckets,
    registers,
  });
  const issued = new Counter({
    name: 'portcullis_cp_client_certificates_issued_total',
    help: 'Client certificates issued, by key source (csr, system), over any API transport.',
    labelNames: ['key_source'],
    registers,
  });
  const revoked = new Counter({
    name: 'portcullis_cp_revocations_total',
    help: 'Revocations that took effect, by kind (client_certificate, custom_ca_serial), over any API transport.',
    labelNames: ['kind'],
    registers,
  });
  // Every series starts at 0, so a rate over the first event is right and the names are there before it.
  for (const keySource of ['csr', 'system']) issued.inc({ key_source: keySource }, 0);
  for (const kind of ['client_certificate', 'custom_ca_serial']) revoked.inc({ kind }, 0);
  const storeSeconds = new Histogram({
    name: 'portcullis_cp_store_operation_seconds',
    help: 'Store call latency by operation (get, list, findUnique, count, commit, revision, changes) and outcome (ok, error).',
    labelNames: ['operation', 'outcome'],
    buckets: latencyBuckets,
    registers,
  });
  new Gauge({
    name: 'portcullis_cp_store_healthy',
    help: 'The replica can confirm it reads the current store (1), or not (0: APIs answer 503, discovery stops).',
    registers,
    collect() {
      const health = sources.storeHealth;
      if (health) this.set(health.state.healthy ? 1 : 0);
    },
  });
  new Gauge({
    name: 'portcullis_cp_store_revision',
    help: 'The store revision last read by the health probe (while healthy).',
    registers,
    collect() {
      const state = sources.storeHealth?.state;
      if (state?.healthy) this.set(state.revision);
      else this.reset();
    },
  });
  new Gauge({
    name: 'portcullis_cp_discovery_cache_revision',
    help: 'The store revision the discovery resource cache reflects (what edges are brought to).',
    registers,
    collect() {
      if (sources.cache) this.set(sources.cache.version());
    },
  });
  new Gauge({
    name: 'portcullis_cp_edges_connected',
    help: 'Edges with at least one discovery stream open to this replica.',
    registers,
    collect() {
      if (sources.edges) this.set(sources.edges.list().filter((edge) => edge.connected).length);
    },
  });
  new Gauge({
    name: 'portcullis_cp_edges_in_sync',
    help: "Connected edges that hold exactly this replica's current resources of every type.",
    registers,
    collect() {
      if (sources.edges)
        this.set(sources.edges.list().filter((edge) => edge.connected && edge.types.every((type) => type.inSync === true)).length);
    },
  });
  new Gauge({
    name: 'portcullis_cp_edge_revision_lag',
    help: 'Per connected edge: revisions behind the discovery cache (0 when in sync on every type; else the cache revision minus the oldest revision it ACKed on a type that is not).',
    labelNames: ['node'],
    registers,
    collect() {
      this.reset();
      const cache = sources.cache;
      if (!sources.edges || !cache) return;
      const current = cache.version();
      for (const edge of sources.edges.list()) {
        if (!edge.connected) continue;
        const behind = edge.types.map((type) => (type.inSync === true ? 0 : current - (type.ackedSystemVersion ?? 0)));
        this.set({ node: edge.nodeId }, Math.max(0, ...behind));
      }
    },
  });

  return {
    registry,
    domain: {
      certificateIssued: (keySource) => issued.inc({ key_source: keySource }),
      revoked: (kind) => revoked.inc({ kind }),
    },
    storeTimer: (operation, seconds, ok) => storeSeconds.observe({ operation, outcome: ok ? 'ok' : 'error' }, seconds),
    httpRequest(method, route, status, seconds) {
      requests.inc({ method, route, status: String(status) });
      requestSeconds.observe({ method, route }, seconds);
    },
    watch(more) {
      sources = { ...sources, ...more };
    },
    text: () => registry.metrics(),
  };
}

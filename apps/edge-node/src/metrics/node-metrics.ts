import { AggregatorRegistry, Counter, Gauge, Registry } from 'prom-client';
import type { DeltaStreamStatus } from '../stream/delta-stream.ts';
import type { MetricsJson } from './serving-metrics.ts';

/** What the primary's metrics read, at scrape time only. */
export interface NodeMetricSources {
  streams(): readonly DeltaStreamStatus[];
  /** The snapshot generation served, undefined before any. */
  generation(): number | undefined;
  ready(): boolean;
  /** Per worker slot, times it was restarted. */
  workerRestarts(): readonly number[];
}

/**
 * The control side's metrics (the primary process): per resource type, the config stream's
 * state and the configuration's revision and age, read from the streams' status when scraped
 * (nothing is counted on any hot path). Reconnects and stale calls are counters the streams
 * already keep; they are exposed as Prometheus counters by setting them from that total.
 */
export function createNodeMetrics(sources: NodeMetricSources): Registry {
  const registry = new Registry();
  const registers = [registry];
  const perType = (name: string, help: string, read: (s: DeltaStreamStatus) => number | undefined) =>
    new Gauge({
      name,
      help,
      labelNames: ['type'],
      registers,
      collect() {
        this.reset();
        for (const stream of sources.streams()) {
          const value = read(stream);
          if (value !== undefined) this.set({ type: stream.type }, value);
        }
      },
    });
  const perTypeTotal = (name: string, help: string, read: (s: DeltaStreamStatus) => number) =>
    new Counter({
      name,
      help,
      labelNames: ['type'],
      registers,
      collect() {
        this.reset();
        for (const stream of sources.streams()) this.inc({ type: stream.type }, read(stream));
      },
    });
  perType(
    'portcullis_edge_stream_connected',
    'Config stream of the type heard from a current control plane within the stale bound (1) or not (0).',
    (s) => (s.connected ? 1 : 0),
  );
  perType(
    'portcullis_edge_config_revision',
    "The control plane revision the type's configuration reflects (applied or vouched for).",
    (s) => s.systemVersion,
  );
  perType(
    'portcullis_edge_config_heartbeat_revision',
    "The store revision the type's last heartbeat reported as current.",
    (s) => s.heartbeatRevision,
  );
  perType('portcullis_edge_config_age_seconds', "Seconds since a current control plane last vouched for the type's configuration.", (s) =>
    s.configAgeMs === undefined ? undefined : s.configAgeMs / 1000,
  );
  perType(
    'portcullis_edge_config_revision_lag',
    'Revisions the configuration of the type is behind the last heartbeat.',
    (s) => s.revisionLag,
  );
  perTypeTotal('portcullis_edge_stream_reconnects_total', 'Config stream reconnects by type.', (s) => s.reconnects);
  perTypeTotal(
    'portcullis_edge_stream_stale_calls_total',
    'Config stream calls abandoned because the control plane went silent, by type.',
    (s) => s.staleCalls,
  );
  new Gauge({
    name: 'portcullis_edge_config_generation',
    help: 'The configuration snapshot generation served (counts swaps since start).',
    registers,
    collect() {
      const generation = sources.generation();
      if (generation === undefined) this.reset();
      else this.set(generation);
    },
  });
  new Gauge({
    name: 'portcullis_edge_ready',
    help: 'The node serves a complete, intact configuration on every worker (/readyz 200): 1, else 0.',
    registers,
    collect() {
      this.set(sources.ready() ? 1 : 0);
    },
  });
  new Counter({
    name: 'portcullis_edge_worker_restarts_total',
    help: 'Worker processes restarted, by worker slot.',
    labelNames: ['worker'],
    registers,
    collect() {
      this.reset();
      sources.workerRestarts().forEach((restarts, index) => this.inc({ worker: String(index) }, restarts));
    },
  });
  return registry;
}

/**
 * The node's metrics in the Prometheus text format: the primary's registry and every serving
 * process's (workers send theirs as JSON) merged by prom-client's cluster aggregation, which
 * sums counters, histograms and gauges of the same name and labels. A worker's counters start
 * again from zero when it is restarted: Prometheus sees an ordinary counter reset.
 */
export async function aggregateMetrics(node: Registry, serving: readonly MetricsJson[]): Promise<string> {
  return AggregatorRegistry.aggregate([await node.getMetricsAsJSON(), ...serving]).metrics();
}

/** The Content-Type of the text format (`text/plain; version=0.0.4; charset=utf-8`). */
export const metricsContentType = Registry.PROMETHEUS_CONTENT_TYPE;

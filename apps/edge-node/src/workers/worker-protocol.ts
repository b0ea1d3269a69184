import type { ResourceType } from '@portcullis/config';
import type { AccessLogMode, AccessLogStats } from '../http/access-log.ts';
import type { HeldResources } from '../config/config-store.ts';
import type { MetricsJson } from '../metrics/serving-metrics.ts';
import type { OriginTimeouts } from '../origin/origin-contract.ts';
import type { ServingLimits } from '../http/serving-limits.ts';
import type { ServingStats } from './serving-side.ts';

/**
 * The IPC messages between the primary and its workers (JSON over the fork channel).
 * Compiled snapshots hold SecureContexts and compiled rulesets, which cannot cross processes,
 * so the primary sends resources as received (with their versions) and each worker compiles
 * them in a store of its own.
 */

/** A configuration: the held resources of some types (a worker's first one has all types). */
export interface WorkerConfig {
  /** The primary's snapshot generation these resources are. */
  readonly generation: number;
  readonly resources: Partial<HeldResources>;
}

/** What a worker is told once, first. */
export interface WorkerStart {
  readonly kind: 'start';
  readonly index: number;
  readonly host: string;
  readonly port: number;
  readonly reusePort: boolean;
  readonly logLevel: string;
  readonly accessLog: { readonly mode: AccessLogMode; readonly sampleEvery: number };
  readonly originTimeouts?: OriginTimeouts;
  readonly originCaPems?: readonly string[];
  readonly servingLimits?: Partial<ServingLimits>;
  /** The drain grace a SIGTERM sent to the worker itself gets (a whole process group signalled). */
  readonly drainMs: number;
  /** Applied before the worker listens; absent when the primary serves nothing yet. */
  readonly config: WorkerConfig | undefined;
}

export type PrimaryMessage =
  | WorkerStart
  | ({ readonly kind: 'config' } & WorkerConfig)
  | { readonly kind: 'drain'; readonly graceMs: number }
  /** Asks for the worker's serving metrics (answered with `metrics` and the same `id`). */
  | { readonly kind: 'metrics'; readonly id: number };

export type WorkerMessage =
  | { readonly kind: 'listening'; readonly port: number }
  /** A configuration is served; `rejected` names resources the worker's store refused (none, normally). */
  | { readonly kind: 'swapped'; readonly generation: number; readonly rejected: readonly string[] }
  | { readonly kind: 'stats'; readonly serving: ServingStats; readonly accessLog: AccessLogStats }
  | { readonly kind: 'metrics'; readonly id: number; readonly metrics: MetricsJson };

/** Types whose resources a configuration carries. */
export function typesIn(config: WorkerConfig): ResourceType[] {
  return Object.keys(config.resources) as ResourceType[];
}

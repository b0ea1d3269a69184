import { fork, type ChildProcess } from 'node:child_process';
import { resourceTypeOrder, type ResourceType } from '@portcullis/config';
import type { AccessLogStats } from '../http/access-log.ts';
import type { HeldResources } from '../config/config-store.ts';
import type { ConfirmOutcome } from '../stream/delta-stream.ts';
import type { EdgeLogger } from '../edge-logger.ts';
import type { MetricsJson } from '../metrics/serving-metrics.ts';
import type { ServingStats } from './serving-side.ts';
import type { PrimaryMessage, WorkerConfig, WorkerMessage, WorkerStart } from './worker-protocol.ts';

/** One worker, as /status shows it. */
export interface WorkerStatus {
  readonly index: number;
  /** Undefined while the worker is being restarted. */
  readonly pid: number | undefined;
  /** Accepting connections on the TLS port. */
  readonly listening: boolean;
  /** The primary's snapshot generation the worker serves (undefined: none yet). */
  readonly generation: number | undefined;
  /** Times this worker slot was restarted. */
  readonly restarts: number;
  readonly openConnections: number;
  readonly requestsServed: number;
  readonly accessLog: AccessLogStats | undefined;
}

/** The part of the worker start message the pool does not fill in itself. */
export type WorkerSettings = Omit<WorkerStart, 'kind' | 'index' | 'port' | 'reusePort' | 'config'>;

export interface WorkerPoolOptions {
  readonly count: number;
  /** The configured TLS port (0: a free one, chosen by the first worker). */
  readonly port: number;
  readonly settings: WorkerSettings;
  readonly log: EdgeLogger;
  /** The primary's current configuration (all types), undefined while it serves none. */
  current(): { readonly generation: number; readonly held: HeldResources } | undefined;
  /** How long every worker has to confirm a configuration before the slow ones are restarted. Default 3 s. */
  readonly swapTimeoutMs?: number;
  /** Called whenever a worker's state changes (readiness may have). */
  readonly onChange?: () => void;
  /** What to fork; default `workerEntry()`. */
  readonly entry?: WorkerEntry;
}

/** The module a worker runs, its arguments and Node options. */
export interface WorkerEntry {
  readonly module: string;
  readonly args: readonly string[];
  readonly execArgv?: readonly string[];
}

/**
 * The running program with `edge-worker` (main.ts dispatches on it), so the pool works the same
 * from source and from the bundle; Node options (say `--cpu-prof`) are inherited.
 */
export function workerEntry(): WorkerEntry {
  return { module: process.argv[1]!, args: ['edge-worker'] };
}

export interface WorkerPool {
  /** The TLS port every worker listens on. */
  readonly port: number;
  /** Sends the new configuration (the types that changed since the last one) to every worker. */
  publish(generation: number, held: HeldResources): void;
  /** Resolves once every worker serves `generation` or later (the ACK rule, see `startWorkerPool`). */
  settled(generation: number): Promise<ConfirmOutcome>;
  /** Every worker is alive, listening and serving `generation`. */
  serving(generation: number | undefined): boolean;
  statuses(): WorkerStatus[];
  /**
   * Every running worker's serving metrics, asked over IPC; a worker that does not answer
   * within `timeoutMs` (restarting, or stuck) is left out of this scrape.
   */
  metrics(timeoutMs?: number): Promise<MetricsJson[]>;
  /** Drains every worker (`ServingSide.drain`) and resolves when all have exited; no restarts after. */
  drain(graceMs: number): Promise<void>;
}

interface Slot {
  readonly index: number;
  child: ChildProcess | undefined;
  listening: boolean;
  generation: number | undefined;
  restarts: number;
  /** Consecutive restarts without a worker that lived `stableAfterMs`: the backoff step. */
  failures: number;
  startedAt: number;
  serving: ServingStats | undefined;
  accessLog: AccessLogStats | undefined;
}

/** A worker that lived this long resets its slot's backoff. */
const stableAfterMs = 10_000;
/** Restart delays: 100 ms doubling to 5 s. */
const restartDelay = (failures: number) => Math.min(5_000, 100 * 2 ** failures);

/**
 * Starts `count` worker processes sharing the TLS port with SO_REUSEPORT (`reusePort`): the
 * first one binds the configured port (or a free one), the others bind the same port once it is
 * known; the kernel spreads new connections over their sockets, and the primary never touches
 * a client connection.
 *
 * Configurations: each worker is started with the primary's current configuration and applies
 * it before it listens; each change is sent to every worker (only the types that changed, as
 * received) and compiled there. The ACK rule (`settled`): the node answers a response once
 * every worker reports the generation it made, or a later one. A worker that has not within
 * `swapTimeoutMs` is killed (SIGKILL) and restarted; its replacement loads the current
 * configuration before accepting connections. If every worker serves the generation within a
 * second `swapTimeoutMs` the response is ACKed, otherwise NACKed (`Edge.WorkersNotSwapped`).
 *
 * A worker that exits is restarted after 100 ms doubling to 5 s (reset once one lives 10 s),
 * logged with its exit code or signal. Readiness (`serving`) is false while any worker is
 * missing or behind.
 */
export async function startWorkerPool(options: WorkerPoolOptions): Promise<WorkerPool> {
  const { log } = options;
  const swapTimeoutMs = options.swapTimeoutMs ?? 3_000;
  const entry = options.entry ?? workerEntry();
  const slots: Slot[] = Array.from({ length: options.count }, (_, index) => ({
    index,
    child: undefined,
    listening: false,
    generation: undefined,
    restarts: 0,
    failures: 0,
    startedAt: 0,
    serving: undefined,
    accessLog: undefined,
  }));
  let port = options.port;
  let stopping = false;
  /** Versions of each type last sent, to send only the types a change touched. */
  let sent: Partial<Record<ResourceType, string>> = {};
  const waiters = new Set<() => void>();
  /** Metrics requests awaiting their worker's answer, by request id. */
  const metricsWanted = new Map<number, (metrics: MetricsJson) => void>();
  let metricsId = 0;
  const changed = () => {
    for (const waiter of [...waiters]) waiter();
    options.onChange?.();
  };

  const sendTo = (slot: Slot, message: PrimaryMessage) => {
    if (slot.child?.connected) slot.child.send(message);
  };

  const spawn = (slot: Slot): Promise<void> =>
    new Promise((resolve) => {
      const child = fork(entry.module, [...entry.args], {
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
        serialization: 'advanced',
        ...(entry.execArgv ? { execArgv: [...entry.execArgv] } : {}),
      });
      slot.child = child;
      slot.listening = false;
      slot.generation = undefined;
      slot.startedAt = Date.now();
      slot.serving = undefined;
      slot.accessLog = undefined;
      const current = options.current();
      const config: WorkerConfig | undefined = current && { generation: current.generation, resources: current.held };
      child.send({
        kind: 'start',
        ...options.settings,
        index: slot.index,
        port,
        reusePort: options.count > 1,
        config,
      } satisfies PrimaryMessage);
      child.on('message', (message: WorkerMessage) => {
        if (message.kind === 'listening') {
          port = message.port;
          slot.listening = true;
          log.info({ worker: slot.index, pid: child.pid, generation: slot.generation }, 'edge worker listening');
          resolve();
        } else if (message.kind === 'swapped') {
          slot.generation = message.generation;
          if (message.rejected.length > 0)
            log.error(
              { worker: slot.index, generation: message.generation, names: message.rejected },
              'edge worker refused resources the primary holds',
            );
        } else if (message.kind === 'metrics') {
          metricsWanted.get(message.id)?.(message.metrics);
          return;
        } else {
          slot.serving = message.serving;
          slot.accessLog = message.accessLog;
          return;
        }
        changed();
      });
      child.once('exit', (code, signal) => {
        resolve();
        if (slot.child !== child) return;
        slot.child = undefined;
        slot.listening = false;
        slot.generation = undefined;
        changed();
        if (stopping) return;
        if (Date.now() - slot.startedAt >= stableAfterMs) slot.failures = 0;
        const delay = restartDelay(slot.failures);
        slot.failures += 1;
        slot.restarts += 1;
        log.warn({ worker: slot.index, pid: child.pid, code, signal, restartInMs: delay }, 'edge worker exited; restarting it');
        setTimeout(() => {
          if (!stopping) void spawn(slot);
        }, delay).unref();
      });
    });

  const current = options.current();
  if (current) sent = versionsOf(current.held);
  // The first worker settles the port; the others join it.
  await spawn(slots[0]!);
  if (!slots[0]!.listening) {
    stopping = true;
    throw new Error('the first edge worker exited before it listened');
  }
  await Promise.all(slots.slice(1).map((slot) => spawn(slot)));

  const serving = (generation: number | undefined) =>
    slots.every((slot) => slot.child !== undefined && slot.listening && slot.generation === generation);
  const behind = (generation: number) =>
    slots.filter((slot) => slot.child === undefined || slot.generation === undefined || slot.generation < generation);
  const waitUntil = (condition: () => boolean, ms: number) =>
    new Promise<boolean>((resolve) => {
      if (condition()) return resolve(true);
      const check = () => {
        if (!condition()) return;
        finish(true);
      };
      const finish = (result: boolean) => {
        clearTimeout(timer);
        waiters.delete(check);
        resolve(result);
      };
      const timer = setTimeout(() => finish(condition()), ms);
      waiters.add(check);
    });

  return {
    get port() {
      return port;
    },
    publish(generation, held) {
      const versions = versionsOf(held);
      const resources: Partial<Record<ResourceType, HeldResources[ResourceType]>> = {};
      for (const type of resourceTypeOrder) if (versions[type] !== sent[type]) resources[type] = held[type];
      sent = versions;
      for (const slot of slots) sendTo(slot, { kind: 'config', generation, resources });
    },
    async settled(generation) {
      const caughtUp = () => behind(generation).length === 0;
      if (await waitUntil(caughtUp, swapTimeoutMs)) return { ok: true };
      const slow = behind(generation);
      for (const slot of slow) {
        log.warn({ worker: slot.index, pid: slot.child?.pid, generation }, 'edge worker did not swap in time; restarting it');
        slot.child?.kill('SIGKILL');
      }
      if (await waitUntil(caughtUp, swapTimeoutMs)) return { ok: true };
      const still = behind(generation).map((slot) => slot.index);
      return { ok: false, reason: `worker(s) ${still.join(', ')} did not serve generation ${generation} within ${2 * swapTimeoutMs} ms` };
    },
    serving,
    statuses: () =>
      slots.map((slot) => ({
        index: slot.index,
        pid: slot.child?.pid,
        listening: slot.listening,
        generation: slot.generation,
        restarts: slot.restarts,
        openConnections: slot.child ? (slot.serving?.openConnections ?? 0) : 0,
        requestsServed: slot.serving?.requestsServed ?? 0,
        accessLog: slot.accessLog,
      })),
    async metrics(timeoutMs = 1_000) {
      const answers = slots
        .filter((slot) => slot.child?.connected && slot.listening)
        .map(
          (slot) =>
            new Promise<MetricsJson | undefined>((resolve) => {
              const id = (metricsId += 1);
              const finish = (metrics: MetricsJson | undefined) => {
                clearTimeout(timer);
                metricsWanted.delete(id);
                resolve(metrics);
              };
              const timer = setTimeout(() => finish(undefined), timeoutMs);
              metricsWanted.set(id, finish);
              sendTo(slot, { kind: 'metrics', id });
            }),
        );
      return (await Promise.all(answers)).filter((metrics) => metrics !== undefined);
    },
    async drain(graceMs) {
      stopping = true;
      const exits = slots.map((slot) => {
        const child = slot.child;
        if (!child || child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
        const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
        sendTo(slot, { kind: 'drain', graceMs });
        // A worker that does not finish within the grace time and a little more is killed.
        const killer = setTimeout(() => child.kill('SIGKILL'), graceMs + 2_000);
        return exited.then(() => clearTimeout(killer));
      });
      await Promise.all(exits);
    },
  };
}

/** One string per type naming every (name, version) held: equal strings, equal sets. */
function versionsOf(held: HeldResources): Partial<Record<ResourceType, string>> {
  const versions: Partial<Record<ResourceType, string>> = {};
  for (const type of resourceTypeOrder)
    versions[type] = held[type]
      .map((resource) => `${resource.name}@${resource.version}`)
      .sort()
      .join(',');
  return versions;
}

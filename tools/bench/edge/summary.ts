import { rate } from '../report.ts';
import type { Latency } from './load-generator.ts';

/** The measured scenarios; `…2` ones run the server on both cores. */
export const scenarios = {
  handshake: 'New mTLS handshakes (one GET each)',
  keepalive: 'Kept-alive requests (100 per connection)',
  handshake2: 'New mTLS handshakes, server on 2 cores',
  keepalive2: 'Kept-alive requests, server on 2 cores',
  body: '1 MiB responses, kept alive (MB)',
} as const;
export type Scenario = keyof typeof scenarios;

/** One timed run of one server. Rates count 200 answers (body: MB of body). */
export interface Sample {
  readonly perServerCpu: number;
  readonly perWall: number;
  /** Cores busy during the run. */
  readonly serverCpu: number;
  readonly generatorCpu: number;
  readonly non200: number;
  readonly latency?: Latency;
}

/** Idle-connection memory of one server. */
export interface MemorySample {
  readonly rssBeforeBytes: number;
  readonly rssAfterBytes: number;
  /** Connections asked for, and still open when measured. */
  readonly connections: number;
  readonly open: number;
}

/** The middle value (upper middle for an even count); NaN for none. */
export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  return [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;
}

/** RSS growth per connection still open, in KB. */
export function kbPerConnection(m: MemorySample): number {
  return (m.rssAfterBytes - m.rssBeforeBytes) / 1024 / Math.max(1, m.open);
}

/** Samples of every server and scenario, with medians; a missing pair is "not available". */
export class Results {
  private readonly samples = new Map<string, Sample[]>();
  readonly memory = new Map<string, MemorySample>();

  add(server: string, scenario: string, sample: Sample): void {
    const key = `${server}|${scenario}`;
    this.samples.set(key, [...(this.samples.get(key) ?? []), sample]);
  }

  all(server: string, scenario: string): readonly Sample[] {
    return this.samples.get(`${server}|${scenario}`) ?? [];
  }

  /** The median of `pick` over the pair's samples, or undefined if it has none. */
  median(server: string, scenario: string, pick: (s: Sample) => number = (s) => s.perServerCpu): number | undefined {
    const all = this.all(server, scenario);
    return all.length === 0 ? undefined : median(all.map(pick));
  }

  /** `a`'s median rate over `b`'s in the scenario, or undefined if either is missing. */
  ratio(a: string, b: string, scenario: string, pick?: (s: Sample) => number): number | undefined {
    const x = this.median(a, scenario, pick);
    const y = this.median(b, scenario, pick);
    return x === undefined || y === undefined || y === 0 ? undefined : x / y;
  }
}

const na = 'not available';
const times = (r: number | undefined) => (r === undefined ? '—' : `${r.toFixed(2)}×`);

/** The throughput table: per server CPU-second, ratios to both nginx builds, wall rate, CPUs. */
export function throughputTable(
  results: Results,
  servers: readonly string[],
  nginx126: string,
  nginx122: string,
  expected: (server: string, scenario: string) => boolean = () => true,
): string {
  let table =
    '| Scenario | Server | Per server CPU-second | × nginx 1.26 | × nginx 1.22 | Per second (wall) | Server CPU | Generator CPU | Non-200 |\n';
  table += '|---|---|---:|---:|---:|---:|---:|---:|---:|\n';
  for (const [scenario, title] of Object.entries(scenarios)) {
    for (const server of servers.filter((name) => expected(name, scenario))) {
      const perCpu = results.median(server, scenario);
      if (perCpu === undefined) {
        table += `| ${title} | ${server} | ${na} | | | | | | |\n`;
        continue;
      }
      const wall = (pick: (s: Sample) => number) => results.median(server, scenario, pick)!.toFixed(2);
      const non200 = results.all(server, scenario).reduce((n, s) => n + s.non200, 0);
      table +=
        `| ${title} | ${server} | ${rate(perCpu)} | ${times(results.ratio(server, nginx126, scenario))} | ` +
        `${times(results.ratio(server, nginx122, scenario))} | ${rate(results.median(server, scenario, (s) => s.perWall)!)} | ` +
        `${wall((s) => s.serverCpu)} | ${wall((s) => s.generatorCpu)} | ${non200} |\n`;
    }
  }
  return table;
}

/** The latency table of the fixed-rate scenarios (medians over rounds of each percentile). */
export function latencyTable(results: Results, servers: readonly string[], rows: Readonly<Record<string, string>>): string {
  let table = '| Scenario | Server | p50 (ms) | p90 (ms) | p99 (ms) | p99.9 (ms) | Achieved per second | Server CPU | Non-200 |\n';
  table += '|---|---|---:|---:|---:|---:|---:|---:|---:|\n';
  for (const [scenario, title] of Object.entries(rows)) {
    for (const server of servers) {
      const all = results.all(server, scenario);
      if (all.length === 0 || all.some((s) => !s.latency)) {
        table += `| ${title} | ${server} | ${na} | | | | | | |\n`;
        continue;
      }
      const ms = (k: keyof Latency) => median(all.map((s) => s.latency![k])).toFixed(2);
      table +=
        `| ${title} | ${server} | ${ms('p50')} | ${ms('p90')} | ${ms('p99')} | ${ms('p999')} | ` +
        `${rate(median(all.map((s) => s.perWall)))} | ${median(all.map((s) => s.serverCpu)).toFixed(2)} | ${all.reduce((n, s) => n + s.non200, 0)} |\n`;
    }
  }
  return table;
}

/** The idle-connection memory table. */
export function memoryTable(results: Results, servers: readonly string[]): string {
  let table =
    '| Server | RSS before | RSS with the connections | Open at measurement | Growth per connection |\n|---|---:|---:|---:|---:|\n';
  const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MiB`;
  for (const server of servers) {
    const m = results.memory.get(server);
    table += m
      ? `| ${server} | ${mb(m.rssBeforeBytes)} | ${mb(m.rssAfterBytes)} | ${m.open.toLocaleString('en-US')} of ${m.connections.toLocaleString('en-US')} | ${kbPerConnection(m).toFixed(1)} KB |\n`
      : `| ${server} | ${na} | | | |\n`;
  }
  return table;
}

/** One target of issue 8 and whether this run met it; `met` undefined: could not be measured. */
export interface Target {
  readonly target: string;
  readonly measured: string;
  readonly met: boolean | undefined;
}

/** The names of the servers the targets compare. */
export interface TargetServers {
  readonly edge: string;
  readonly nginx126: string;
  readonly nginx122: string;
  readonly haproxy: string;
  readonly caddy: string;
}

/** Evaluates issue 8's targets for the edge against this run's figures. */
export function evaluateTargets(results: Results, s: TargetServers): Target[] {
  // `ahead`: strictly above the bound (a tie is not ahead).
  const atLeast = (target: string, value: number | undefined, bound: number, what: string, ahead = false): Target => ({
    target,
    measured: value === undefined ? na : `${value.toFixed(2)}× ${what}`,
    met: value === undefined ? undefined : ahead ? value > bound : value >= bound,
  });
  const wall = (x: Sample) => x.perWall;
  const scaling = (server: string, two: Scenario, one: Scenario) => {
    const a = results.median(server, two, wall);
    const b = results.median(server, one, wall);
    return a === undefined || b === undefined ? undefined : a / b;
  };
  // nginx's own two-to-one ratio in the same run shows what this machine allows.
  const scalingTarget = (what: string, two: Scenario, one: Scenario) => {
    const target = atLeast(`Two workers ≥ 1.8× one, ${what} (wall rate)`, scaling(s.edge, two, one), 1.8, 'one worker');
    const nginx = scaling(s.nginx126, two, one);
    return nginx === undefined || target.met === undefined
      ? target
      : { ...target, measured: `${target.measured} (nginx 1.26 in this run: ${nginx.toFixed(2)}×)` };
  };
  const memory = (name: string) => {
    const m = results.memory.get(name);
    return m && kbPerConnection(m);
  };
  const edgeKb = memory(s.edge);
  const nginxKb = memory(s.nginx126);
  return [
    atLeast('Kept-alive requests per core ≥ 0.6× nginx 1.26', results.ratio(s.edge, s.nginx126, 'keepalive'), 0.6, 'nginx 1.26'),
    atLeast('New handshakes per core ≥ 0.6× nginx 1.26', results.ratio(s.edge, s.nginx126, 'handshake'), 0.6, 'nginx 1.26'),
    atLeast('New handshakes per core ≥ 1.0× nginx 1.22', results.ratio(s.edge, s.nginx122, 'handshake'), 1.0, 'nginx 1.22'),
    scalingTarget('new handshakes', 'handshake2', 'handshake'),
    scalingTarget('kept-alive requests', 'keepalive2', 'keepalive'),
    atLeast('Ahead of HAProxy on new handshakes per core', results.ratio(s.edge, s.haproxy, 'handshake'), 1.0, 'HAProxy', true),
    atLeast('Ahead of Caddy on kept-alive requests per core', results.ratio(s.edge, s.caddy, 'keepalive'), 1.0, 'Caddy', true),
    {
      target: 'Memory per idle TLS connection ≤ nginx 1.26',
      measured: edgeKb === undefined || nginxKb === undefined ? na : `${edgeKb.toFixed(1)} KB against ${nginxKb.toFixed(1)} KB`,
      met: edgeKb === undefined || nginxKb === undefined ? undefined : edgeKb <= nginxKb,
    },
  ];
}

/** The targets as a table: met / not met / not measured. */
export function targetsTable(targets: readonly Target[]): string {
  const verdict = (met: boolean | undefined) => (met === undefined ? 'not measured' : met ? '**met**' : '**not met**');
  return (
    '| Target | Measured | Result |\n|---|---|---|\n' + targets.map((t) => `| ${t.target} | ${t.measured} | ${verdict(t.met)} |\n`).join('')
  );
}

import { describe, expect, it } from 'vitest';
import {
  evaluateTargets,
  kbPerConnection,
  latencyTable,
  median,
  memoryTable,
  Results,
  targetsTable,
  throughputTable,
  type Sample,
} from './summary.ts';

const sample = (perServerCpu: number, perWall = perServerCpu): Sample => ({
  perServerCpu,
  perWall,
  serverCpu: 1,
  generatorCpu: 0.5,
  non200: 0,
});
const servers = { edge: 'edge', nginx126: 'nginx 1.26', nginx122: 'nginx 1.22', haproxy: 'HAProxy', caddy: 'Caddy' };

/** Figures where the edge meets every target of issue 8 exactly or better. */
function passing(): Results {
  const r = new Results();
  r.add('nginx 1.26', 'keepalive', sample(10_000));
  r.add('nginx 1.26', 'handshake', sample(1_000));
  r.add('nginx 1.22', 'handshake', sample(600));
  r.add('HAProxy', 'handshake', sample(590));
  r.add('Caddy', 'keepalive', sample(5_900));
  r.add('edge', 'keepalive', sample(6_000, 6_000));
  r.add('edge', 'handshake', sample(600, 600));
  r.add('edge', 'keepalive2', sample(6_000, 10_800));
  r.add('edge', 'handshake2', sample(600, 1_080));
  r.memory.set('edge', { rssBeforeBytes: 0, rssAfterBytes: 30 * 1024 * 100, connections: 100, open: 100 });
  r.memory.set('nginx 1.26', { rssBeforeBytes: 0, rssAfterBytes: 30 * 1024 * 100, connections: 100, open: 100 });
  return r;
}

describe('median', () => {
  it('takes the middle of an odd count, the upper middle of an even one, regardless of order', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 3, 2])).toBe(3);
    expect(median([])).toBeNaN();
  });
});

describe('Results', () => {
  it('gives medians over rounds and ratios between servers, undefined when one is missing', () => {
    const r = new Results();
    for (const v of [100, 300, 200]) r.add('a', 'keepalive', sample(v));
    r.add('b', 'keepalive', sample(400));
    expect(r.median('a', 'keepalive')).toBe(200);
    expect(r.ratio('a', 'b', 'keepalive')).toBe(0.5);
    expect(r.ratio('a', 'c', 'keepalive')).toBeUndefined();
    expect(r.median('a', 'handshake')).toBeUndefined();
  });
});

describe('kbPerConnection', () => {
  it('divides the RSS growth by the connections still open', () => {
    expect(kbPerConnection({ rssBeforeBytes: 1024 * 1000, rssAfterBytes: 1024 * 5000, connections: 200, open: 100 })).toBe(40);
  });
});

describe('evaluateTargets', () => {
  it('meets every target at its bound (the "ahead of" ones just above)', () => {
    const targets = evaluateTargets(passing(), servers);
    expect(targets).toHaveLength(8);
    expect(targets.filter((t) => t.met !== true)).toEqual([]);
  });

  it('fails the targets the edge misses and names the measured ratio', () => {
    const r = passing();
    r.add('edge', 'keepalive', sample(5_000)); // median of 6,000 and 5,000 is 6,000: add a third below
    r.add('edge', 'keepalive', sample(4_000));
    r.memory.set('edge', { rssBeforeBytes: 0, rssAfterBytes: 31 * 1024 * 100, connections: 100, open: 100 });
    const byName = new Map(evaluateTargets(r, servers).map((t) => [t.target, t]));
    expect(byName.get('Kept-alive requests per core ≥ 0.6× nginx 1.26')).toEqual({
      target: 'Kept-alive requests per core ≥ 0.6× nginx 1.26',
      measured: '0.50× nginx 1.26',
      met: false,
    });
    // 5,000 against Caddy's 5,900: behind; a tie would not be ahead either.
    expect(byName.get('Ahead of Caddy on kept-alive requests per core')?.met).toBe(false);
    // The edge's kept-alive wall rate is now the median 5,000; on two workers 10,800.
    r.add('nginx 1.26', 'keepalive2', sample(10_000, 15_000));
    expect(evaluateTargets(r, servers).find((t) => t.target.startsWith('Two workers ≥ 1.8× one, kept-alive'))).toMatchObject({
      measured: '2.16× one worker (nginx 1.26 in this run: 1.50×)',
      met: true,
    });
    r.add('HAProxy', 'handshake', sample(600));
    r.add('HAProxy', 'handshake', sample(600));
    expect(evaluateTargets(r, servers).find((t) => t.target.startsWith('Ahead of HAProxy'))).toMatchObject({
      measured: '1.00× HAProxy',
      met: false,
    });
    expect(byName.get('Memory per idle TLS connection ≤ nginx 1.26')).toMatchObject({ met: false, measured: '31.0 KB against 30.0 KB' });
  });

  it('says "not available" (neither met nor not met) for what was not measured, such as two workers', () => {
    const r = new Results();
    r.add('edge', 'keepalive', sample(1_000));
    const targets = evaluateTargets(r, servers);
    const twoWorkers = targets.find((t) => t.target.startsWith('Two workers ≥ 1.8× one, kept-alive'));
    expect(twoWorkers).toMatchObject({ met: undefined, measured: 'not available' });
    expect(targetsTable(targets)).toContain('| Two workers ≥ 1.8× one, kept-alive requests (wall rate) | not available | not measured |');
  });
});

describe('tables', () => {
  it('writes ratios to both nginx builds and "not available" for an expected row without samples', () => {
    const table = throughputTable(
      passing(),
      ['nginx 1.26', 'edge', 'Node'],
      'nginx 1.26',
      'nginx 1.22',
      (s, scenario) => s !== 'Node' || scenario === 'keepalive',
    );
    expect(table).toContain('| New mTLS handshakes (one GET each) | edge | 600 | 0.60× | 1.00× | 600 |');
    expect(table).toContain('| Kept-alive requests (100 per connection) | Node | not available |');
    expect(table).not.toContain('| New mTLS handshakes (one GET each) | Node |');
  });

  it('writes latency percentiles and memory per connection', () => {
    const r = new Results();
    r.add('edge', 'latency-keepalive', { ...sample(1, 5_000), latency: { p50: 0.2, p90: 0.5, p99: 1.25, p999: 4, max: 9 } });
    r.memory.set('edge', { rssBeforeBytes: 100 * 2 ** 20, rssAfterBytes: 400 * 2 ** 20, connections: 10_000, open: 10_000 });
    expect(latencyTable(r, ['edge', 'nginx'], { 'latency-keepalive': 'Kept-alive' })).toContain(
      '| Kept-alive | edge | 0.20 | 0.50 | 1.25 | 4.00 | 5,000 | 1.00 | 0 |',
    );
    expect(latencyTable(r, ['nginx'], { 'latency-keepalive': 'Kept-alive' })).toContain('| Kept-alive | nginx | not available |');
    expect(memoryTable(r, ['edge'])).toContain('| edge | 100.0 MiB | 400.0 MiB | 10,000 of 10,000 | 30.7 KB |');
  });
});

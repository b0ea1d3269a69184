import { describe, expect, it } from 'vitest';
import { parseLoadResult } from './load-generator.ts';

describe('parseLoadResult', () => {
  it('reads what tlsload prints, latency and idle counts included', () => {
    const line = '{"mode":"idle","completed":3,"errors":0,"seconds":1.5,"cpuSeconds":0.2,"bodyBytes":9,"statuses":{"200":3},"open":3}';
    expect(parseLoadResult(line)).toMatchObject({ mode: 'idle', completed: 3, open: 3, statuses: { '200': 3 } });
    const timed = parseLoadResult(
      '{"mode":"keepalive","completed":1,"errors":0,"seconds":1,"cpuSeconds":0.1,"bodyBytes":3,"statuses":{},"latencyMs":{"p50":0.1,"p90":0.2,"p99":0.3,"p999":0.4,"max":0.5}}',
    );
    expect(timed.latencyMs?.p99).toBe(0.3);
  });

  it('refuses output without the fields the report needs', () => {
    expect(() => parseLoadResult('{"mode":"keepalive","completed":1}')).toThrow(/unexpected result/);
    expect(() =>
      parseLoadResult('{"mode":"other","completed":1,"errors":0,"seconds":1,"cpuSeconds":0,"bodyBytes":0,"statuses":{}}'),
    ).toThrow();
    expect(() => parseLoadResult('{"mode":"handshake","completed":1,"errors":0,"seconds":1,"cpuSeconds":0,"bodyBytes":0}')).toThrow(
      /statuses/,
    );
    expect(() => parseLoadResult('tlsload: need --port')).toThrow();
  });
});

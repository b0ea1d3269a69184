import { describe, expect, it } from 'vitest';
import { accessLine, createBufferedAccessLog, logSafe, maxUserAgent, type AccessEntry } from './access-log.ts';

const entry = (fields: Partial<AccessEntry> = {}): AccessEntry => ({
  requestId: 'r1',
  method: 'GET',
  path: '/',
  host: 'www.example.com',
  status: 200,
  clientIp: '127.0.0.1',
  userAgent: 'curl/8',
  ms: 1,
  ...fields,
});

/** A destination that keeps what is written; `hold` delays every write's completion. */
function recorder(options: { hold?: boolean } = {}) {
  const chunks: string[] = [];
  const pending: (() => void)[] = [];
  const write = (_fd: number, data: Buffer, callback: (error: NodeJS.ErrnoException | null, written: number) => void) => {
    const finish = () => {
      chunks.push(data.toString());
      callback(null, data.length);
    };
    if (options.hold) pending.push(finish);
    else setImmediate(finish);
  };
  return { chunks, pending, write, lines: () => chunks.join('').split('\n').filter(Boolean) };
}

describe('access log', () => {
  it('keeps a hostile user agent on one line: CR, LF, other controls and line separators become text', () => {
    const hostile = 'Mozilla\r\n{"level":30,"msg":"request","status":200,"forged":true}\u2028\u0085\u001b[31m\u007f';
    const line = accessLine(entry({ userAgent: hostile }), 0);
    expect(line.indexOf('\n')).toBe(line.length - 1);
    expect(line).not.toMatch(/[\r\u2028\u0085\u001b\u007f]/);
    const parsed = JSON.parse(line) as Record<string, unknown>;
    expect(parsed['forged']).toBeUndefined();
    expect(parsed['userAgent']).toBe(
      'Mozilla\\u000d\\u000a{"level":30,"msg":"request","status":200,"forged":true}\\u2028\\u0085\\u001b[31m\\u007f',
    );
    expect(parsed).toMatchObject({ msg: 'request', level: 30, clientIp: '127.0.0.1', status: 200 });
  });

  it('truncates a long user agent', () => {
    const safe = logSafe('a'.repeat(5000), maxUserAgent);
    expect(safe).toBe(`${'a'.repeat(maxUserAgent)}…`);
  });

  it('writes every line in full mode, none in off mode', async () => {
    const full = recorder();
    const log = createBufferedAccessLog({ mode: 'full', sampleEvery: 1, write: full.write, flushMs: 5 });
    for (let i = 0; i < 50; i++) log.record(entry({ requestId: `r${i}` }));
    await log.flush();
    expect(full.lines().map((l) => (JSON.parse(l) as { requestId: string }).requestId)).toEqual(
      Array.from({ length: 50 }, (_, i) => `r${i}`),
    );
    expect(log.stats()).toMatchObject({ written: 50, dropped: 0 });
    const none = recorder();
    const off = createBufferedAccessLog({ mode: 'off', sampleEvery: 1, write: none.write });
    off.record(entry({ status: 500 }));
    await off.flush();
    expect(none.chunks).toEqual([]);
  });

  it('samples 1 in N in sampled mode but always logs errors and blocks', async () => {
    const out = recorder();
    const log = createBufferedAccessLog({ mode: 'sampled', sampleEvery: 10, write: out.write, flushMs: 5 });
    for (let i = 0; i < 100; i++) log.record(entry({ requestId: `ok${i}` }));
    log.record(entry({ requestId: 'blocked', status: 403, rule: 'r' }));
    log.record(entry({ requestId: 'refused', status: 421, reason: 'not served here' }));
    log.record(entry({ requestId: 'origin-down', status: 502, error: 'ECONNREFUSED' }));
    await log.flush();
    const ids = out.lines().map((l) => (JSON.parse(l) as { requestId: string }).requestId);
    expect(ids.filter((id) => id.startsWith('ok'))).toHaveLength(10);
    expect(ids).toEqual(expect.arrayContaining(['blocked', 'refused', 'origin-down']));
    expect(log.stats()).toMatchObject({ written: 13, sampledOut: 90, dropped: 0 });
  });

  it('drops and counts lines beyond its buffer while the destination is slow, and never blocks', async () => {
    const slow = recorder({ hold: true });
    const log = createBufferedAccessLog({ mode: 'full', sampleEvery: 1, write: slow.write, maxBufferBytes: 10_000, flushBytes: 1 });
    const started = performance.now();
    for (let i = 0; i < 1_000; i++) log.record(entry({ requestId: `r${i}` }));
    expect(performance.now() - started).toBeLessThan(500);
    await new Promise((resolve) => setImmediate(resolve));
    // One batch (at most PIPE_BUF bytes) is in flight; about 10 kB wait; the rest were dropped.
    expect(slow.pending).toHaveLength(1);
    const { dropped } = log.stats();
    const lineBytes = accessLine(entry({ requestId: 'r100' }), Date.now()).length;
    expect(dropped).toBeGreaterThan(1_000 - 10_000 / lineBytes - 4096 / lineBytes - 2);
    const flushed = log.flush();
    while (slow.pending.length > 0) {
      slow.pending.shift()!();
      await new Promise((resolve) => setImmediate(resolve));
    }
    await flushed;
    expect(log.stats().written + log.stats().dropped).toBe(1_000);
    expect(slow.lines()).toHaveLength(log.stats().written);
    for (const chunk of slow.chunks) expect(Buffer.byteLength(chunk)).toBeLessThanOrEqual(4096);
  });
});

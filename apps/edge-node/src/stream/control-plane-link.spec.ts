import { resourceTypeOrder } from '@portcullis/config';
import { describe, expect, it } from 'vitest';
import { controlPlaneLink } from './control-plane-link.ts';
import type { DeltaStreamStatus } from './delta-stream.ts';
import type { EdgeLogger } from '../edge-logger.ts';

function recordingLogger(): EdgeLogger & { lines: [string, string, object][] } {
  const lines: [string, string, object][] = [];
  const at = (level: string) => (details: object, message: string) => void lines.push([level, message, details]);
  return { lines, debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') } as unknown as EdgeLogger & {
    lines: [string, string, object][];
  };
}

const stream = (type: DeltaStreamStatus['type'], fields: Partial<DeltaStreamStatus>): DeltaStreamStatus => ({
  type,
  connected: false,
  target: 'cp-a:9443',
  heardAt: undefined,
  systemVersion: undefined,
  heartbeatRevision: undefined,
  heartbeatAt: undefined,
  configAgeMs: undefined,
  revisionLag: undefined,
  lastAck: undefined,
  lastNack: undefined,
  reconnects: 0,
  staleCalls: 0,
  lastError: undefined,
  ...fields,
});

describe('control plane link', () => {
  it('logs once for the whole edge: info when every stream is connected, warn once when it loses them, info when back', () => {
    const log = recordingLogger();
    let statuses = resourceTypeOrder.map((type) => stream(type, {}));
    let clock = 1_000_000;
    const heard = () => new Date(clock).toISOString();
    const link = controlPlaneLink(
      log,
      () => statuses,
      () => clock,
    );
    link.update(); // starting: nothing has failed yet
    expect(log.lines).toEqual([]);
    statuses = statuses.map((s) => ({ ...s, connected: true, heardAt: heard() }));
    link.update();
    expect(log.lines).toEqual([['info', 'control plane connected', { targets: ['cp-a:9443'] }]]);
    // The streams go stale one after the other, each moving to b at once: one warning, and no
    // "back" while the others still look connected to the hung replica.
    clock += 5_000;
    for (const type of resourceTypeOrder) {
      statuses = statuses.map((s) => (s.type === type ? { ...s, connected: false, lastError: 'stale', configAgeMs: 5_000 } : s));
      link.update();
      clock += 10;
      statuses = statuses.map((s) => (s.type === type ? { ...s, connected: true, target: 'cp-b:9443', heardAt: heard() } : s));
      link.update();
      if (type !== resourceTypeOrder.at(-1)) expect(log.lines).toHaveLength(2);
    }
    expect(log.lines.slice(1)).toEqual([
      [
        'warn',
        'control plane lost: serving the last configuration until it is back',
        { streams: [{ type: 'site', target: 'cp-a:9443', error: 'stale' }], configAgeMs: 5_000 },
      ],
      ['info', 'control plane back: configuration current again', { targets: ['cp-b:9443'] }],
    ]);
    link.stop();
    statuses = statuses.map((s) => ({ ...s, connected: false }));
    link.update();
    expect(log.lines).toHaveLength(3);
  });

  it('warns when the first attempts fail, before any stream ever connected', () => {
    const log = recordingLogger();
    const link = controlPlaneLink(log, () => [stream('site', { lastError: '14 UNAVAILABLE: No connection established' })]);
    link.update();
    link.update();
    expect(log.lines.map(([level, message]) => [level, message])).toEqual([
      ['warn', 'control plane lost: serving the last configuration until it is back'],
    ]);
  });
});

import { describe, expect, it } from 'vitest';
import { EdgeSettingsError, loadEdgeSettings } from '../edge-settings.ts';
import { defaultServingLimits, servingLimitsFromEnv } from './serving-limits.ts';

describe('serving limits', () => {
  it('defaults every limit, and reads each from its variable', () => {
    expect(servingLimitsFromEnv({})).toEqual({ ok: true, limits: defaultServingLimits });
    expect(loadEdgeSettings({}).servingLimits).toEqual(defaultServingLimits);
    const settings = loadEdgeSettings({
      PORTCULLIS_EDGE_HELLO_TIMEOUT_MS: '1000',
      PORTCULLIS_EDGE_HANDSHAKE_TIMEOUT_MS: '2000',
      PORTCULLIS_EDGE_IDLE_TIMEOUT_MS: '3000',
      PORTCULLIS_EDGE_HEAD_TIMEOUT_MS: '4000',
      PORTCULLIS_EDGE_BODY_WINDOW_MS: '5000',
      PORTCULLIS_EDGE_BODY_MIN_BYTES: '6',
      PORTCULLIS_EDGE_SEND_TIMEOUT_MS: '7000',
      PORTCULLIS_EDGE_MAX_CONNECTIONS: '70',
      PORTCULLIS_EDGE_MAX_PIPELINED: '8',
    });
    expect(settings.servingLimits).toEqual({
      helloMs: 1000,
      handshakeMs: 2000,
      idleMs: 3000,
      headMs: 4000,
      bodyWindowMs: 5000,
      bodyMinBytes: 6,
      sendIdleMs: 7000,
      maxConnections: 70,
      maxPipelined: 8,
    });
  });

  it('refuses a limit that is not a positive integer, naming its variable', () => {
    for (const value of ['0', '-5', '1.5', '10s', ' 10', '1e3', '99999999999999999999']) {
      expect(servingLimitsFromEnv({ PORTCULLIS_EDGE_MAX_CONNECTIONS: value })).toEqual({
        ok: false,
        reason: 'PORTCULLIS_EDGE_MAX_CONNECTIONS must be a positive integer',
      });
    }
    expect(() => loadEdgeSettings({ PORTCULLIS_EDGE_HEAD_TIMEOUT_MS: 'soon' })).toThrow(EdgeSettingsError);
    expect(() => loadEdgeSettings({ PORTCULLIS_EDGE_HEAD_TIMEOUT_MS: 'soon' })).toThrow(/PORTCULLIS_EDGE_HEAD_TIMEOUT_MS/);
  });
});

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { defaultNodeId, EdgeSettingsError, loadEdgeSettings } from './edge-settings.ts';

describe('edge settings', () => {
  it('has loopback defaults', () => {
    const settings = loadEdgeSettings({});
    expect(settings).toMatchObject({
      httpsHost: '127.0.0.1',
      httpsPort: 8443,
      adminPort: 9901,
      discoveryAddresses: ['127.0.0.1:9443'],
      discoveryServerName: undefined,
      nodeId: undefined,
      joinToken: undefined,
      logLevel: 'info',
    });
    expect(settings.stateDir).toBe(path.resolve('edge-state'));
  });

  it('reads every variable, the token from a file, and a pin with colons', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'edge-settings-'));
    try {
      writeFileSync(path.join(dir, 'token'), 'jt_secret\n');
      const settings = loadEdgeSettings({
        PORTCULLIS_EDGE_HTTPS_HOST: '0.0.0.0',
        PORTCULLIS_EDGE_HTTPS_PORT: '443',
        PORTCULLIS_EDGE_ADMIN_PORT: '0',
        PORTCULLIS_CONTROL_PLANE_URL: 'http://cp:8080/',
        PORTCULLIS_DISCOVERY_ADDRESS: 'cp-a:9443, cp-b:9443',
        PORTCULLIS_DISCOVERY_SERVER_NAME: 'discovery.internal',
        PORTCULLIS_NODE_ID: 'edge-1',
        PORTCULLIS_JOIN_TOKEN_FILE: path.join(dir, 'token'),
        PORTCULLIS_FLEET_CA_SHA256: 'AB:'.repeat(31) + 'AB',
        PORTCULLIS_STATE_DIR: dir,
      });
      expect(settings).toMatchObject({
        httpsHost: '0.0.0.0',
        httpsPort: 443,
        adminPort: 0,
        controlPlaneUrl: 'http://cp:8080',
        discoveryAddresses: ['cp-a:9443', 'cp-b:9443'],
        discoveryServerName: 'discovery.internal',
        nodeId: 'edge-1',
        joinToken: 'jt_secret',
        fleetCaSha256: 'ab'.repeat(32),
        stateDir: dir,
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('refuses bad values, naming the variable', () => {
    const bad: Record<string, string>[] = [
      { PORTCULLIS_NODE_ID: 'Edge_1' },
      { PORTCULLIS_EDGE_HTTPS_PORT: '99999' },
      { PORTCULLIS_FLEET_CA_SHA256: 'abc' },
      { PORTCULLIS_DISCOVERY_ADDRESS: 'no-port' },
      { PORTCULLIS_CONTROL_PLANE_URL: 'cp:8080' },
      { PORTCULLIS_JOIN_TOKEN_FILE: '/nonexistent/token' },
    ];
    for (const env of bad) {
      expect(() => loadEdgeSettings(env)).toThrow(EdgeSettingsError);
      expect(() => loadEdgeSettings(env)).toThrow(Object.keys(env)[0]!);
    }
  });

  it('defaults to one worker per core, a 10 s drain and a full access log, and reads each', () => {
    expect(loadEdgeSettings({})).toMatchObject({
      workers: os.availableParallelism(),
      drainMs: 10_000,
      accessLog: { mode: 'full', sampleEvery: 100 },
    });
    expect(
      loadEdgeSettings({
        PORTCULLIS_EDGE_WORKERS: '1',
        PORTCULLIS_EDGE_DRAIN_MS: '500',
        PORTCULLIS_ACCESS_LOG: 'sampled',
        PORTCULLIS_ACCESS_LOG_SAMPLE: '7',
      }),
    ).toMatchObject({ workers: 1, drainMs: 500, accessLog: { mode: 'sampled', sampleEvery: 7 } });
    const bad: Record<string, string>[] = [
      { PORTCULLIS_EDGE_WORKERS: '0' },
      { PORTCULLIS_EDGE_WORKERS: 'two' },
      { PORTCULLIS_EDGE_DRAIN_MS: '-1' },
      { PORTCULLIS_ACCESS_LOG: 'some' },
      { PORTCULLIS_ACCESS_LOG_SAMPLE: '1.5' },
    ];
    for (const env of bad) expect(() => loadEdgeSettings(env)).toThrow(Object.keys(env)[0]!);
  });

  it('makes a node id from a host name', () => {
    expect(defaultNodeId('Edge_01.example.COM')).toBe('edge-01-example-com');
    expect(defaultNodeId('___')).toBe('edge');
  });
});

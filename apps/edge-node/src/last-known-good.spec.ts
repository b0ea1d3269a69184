import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConfigStore } from './config-store.ts';
import { lastKnownGoodWriter, loadLastKnownGood, saveLastKnownGood } from './last-known-good.ts';
import { credentialResource, revocationsResource, siteResource, trustResource, wafResource } from './test/resources.ts';
import { createTestPki, type TestPki } from './test/test-pki.ts';

describe('last-known-good', () => {
  let pki: TestPki;
  let dir: string;
  beforeAll(async () => {
    pki = await createTestPki();
    dir = mkdtempSync(path.join(os.tmpdir(), 'edge-lkg-'));
  });
  afterAll(() => {
    pki.remove();
    rmSync(dir, { recursive: true, force: true });
  });

  async function filledStore() {
    const store = createConfigStore();
    store.restore({});
    store.apply('site', [siteResource('s1', 'example.com', 'http://origin').resource], []);
    store.apply('trust', [trustResource('s1', {}, {}).resource], []);
    store.apply(
      'credential',
      [credentialResource('c1', 's1', ['api.example.com'], await pki.serverCertificate(['api.example.com'])).resource],
      [],
    );
    store.apply(
      'revocations',
      [revocationsResource('ca_a', ['0b'])].map((r) => r.resource),
      [],
    );
    store.apply('waf', [wafResource('s1', [{ id: 'r1', expression: 'not ssl.client_cert.verified' }]).resource], []);
    return store;
  }

  it('round-trips what a store holds: a restored store serves the same configuration', async () => {
    const store = await filledStore();
    const file = path.join(dir, 'round-trip.json');
    await saveLastKnownGood(file, store.held());
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const loaded = await loadLastKnownGood(file);
    expect(loaded.status).toBe('loaded');
    if (loaded.status !== 'loaded') return;
    const restored = createConfigStore();
    expect(restored.restore(loaded.resources)).toEqual([]);
    for (const type of ['site', 'trust', 'credential', 'revocations', 'waf'] as const)
      expect(restored.versions(type)).toEqual(store.versions(type));
    const snapshot = restored.current!;
    expect(snapshot.route('api.example.com')?.origin.href).toBe('http://origin/');
    expect(snapshot.tlsFor('api.example.com')?.trust).toBeUndefined();
    expect(snapshot.isRevoked('ca_a', '0b')).toBe(true);
    expect(snapshot.route('example.com')?.waf?.rules).toHaveLength(1);
  });

  it('reports a missing or damaged file, and drops a resource whose body no longer matches its version', async () => {
    expect(await loadLastKnownGood(path.join(dir, 'missing.json'))).toEqual({ status: 'absent' });
    const junk = path.join(dir, 'junk.json');
    writeFileSync(junk, '{"format": "portcullis-edge-last-known-good/1", "resources": ');
    expect((await loadLastKnownGood(junk)).status).toBe('unreadable');
    writeFileSync(junk, '{"format": "something-else", "resources": {}}');
    expect((await loadLastKnownGood(junk)).status).toBe('unreadable');

    const file = path.join(dir, 'tampered.json');
    await saveLastKnownGood(file, (await filledStore()).held());
    const saved = JSON.parse(readFileSync(file, 'utf8'));
    const body = Buffer.from(saved.resources.site[0].body, 'base64');
    body[body.length - 1] = body[body.length - 1]! ^ 1;
    saved.resources.site[0].body = body.toString('base64');
    writeFileSync(file, JSON.stringify(saved));
    const loaded = await loadLastKnownGood(file);
    const restored = createConfigStore();
    const dropped = restored.restore(loaded.status === 'loaded' ? loaded.resources : {});
    expect(dropped.map((e) => [e.code, e.resourceName])).toEqual([['Resource.VersionMismatch', 'site/s1']]);
    expect(restored.current!.route('example.com')).toBeUndefined();
  });

  it('coalesces writes scheduled while one runs, and always ends with the latest resources', async () => {
    const store = await filledStore();
    const file = path.join(dir, 'writer.json');
    const errors: unknown[] = [];
    let reads = 0;
    const writer = lastKnownGoodWriter(
      file,
      () => (reads++, store.held()),
      (e) => errors.push(e),
    );
    for (let i = 0; i < 10; i++) writer.schedule();
    store.apply('site', [], ['site/s1']);
    writer.schedule();
    await writer.flush();
    expect(reads).toBe(2);
    expect(errors).toEqual([]);
    const loaded = await loadLastKnownGood(file);
    expect(loaded.status === 'loaded' && loaded.resources.site).toEqual([]);
  });
});

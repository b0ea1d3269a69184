import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resourceTypeOrder, type EncodedResource, type ResourceType } from '@portcullis/config';
import { createConfigStore, type ConfigStore } from './config-store.ts';
import { lastKnownGoodWriter, loadLastKnownGood, restoreLastKnownGood, saveLastKnownGood } from './last-known-good.ts';
import { credentialResource, revocationsResource, siteResource, trustResource, wafResource } from '../test/resources.ts';
import { createTestPki, type TestPki } from '../test/test-pki.ts';

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
    expect(restored.restore(loaded.resources)).toEqual({ ok: true });
    expect(restored.readiness.ready).toBe(true);
    for (const type of ['site', 'trust', 'credential', 'revocations', 'waf'] as const)
      expect(restored.versions(type)).toEqual(store.versions(type));
    const snapshot = restored.current!;
    expect(snapshot.route('api.example.com')?.origin.href).toBe('http://origin/');
    expect(snapshot.tlsFor('api.example.com')?.trust).toBeUndefined();
    expect(snapshot.isRevoked('ca_a', '0b')).toBe(true);
    expect(snapshot.route('example.com')?.waf.rules).toHaveLength(1);
  });

  /** Nothing of a refused file is in the store: it serves nothing and says why. */
  function expectRefusedWhole(store: ConfigStore, reason: RegExp) {
    expect(store.current).toBeUndefined();
    for (const type of resourceTypeOrder) expect(store.versions(type), type).toEqual({});
    expect(store.readiness).toMatchObject({ ready: false, serving: false, status: 'last-known-good-refused' });
    expect(store.readiness.reason).toMatch(reason);
  }

  /** Saves a full store's resources and returns the file's text. */
  async function savedText(file: string): Promise<string> {
    await saveLastKnownGood(file, (await filledStore()).held());
    return readFileSync(file, 'utf8');
  }

  /** `text` with the character at `index` replaced by another base64 character. */
  function flipAt(text: string, index: number): string {
    return `${text.slice(0, index)}${text[index] === 'A' ? 'B' : 'A'}${text.slice(index + 1)}`;
  }

  it('reports a missing file as absent and restores nothing from it', async () => {
    const file = path.join(dir, 'missing.json');
    expect(await loadLastKnownGood(file)).toEqual({ status: 'absent' });
    const store = createConfigStore();
    expect(await restoreLastKnownGood(store, file)).toEqual({ status: 'absent' });
    expect(store.readiness.status).toBe('waiting-for-control-plane');
  });

  it('restores an intact file whole', async () => {
    const file = path.join(dir, 'intact.json');
    await savedText(file);
    const store = createConfigStore();
    expect(await restoreLastKnownGood(store, file)).toMatchObject({ status: 'restored' });
    expect(store.readiness.ready).toBe(true);
    for (const type of resourceTypeOrder) expect(Object.keys(store.versions(type)), type).toHaveLength(1);
  });

  it.each(resourceTypeOrder)('refuses the whole file when one character of the saved %s resource changed', async (type) => {
    const file = path.join(dir, `flip-${type}.json`);
    const text = await savedText(file);
    const saved = JSON.parse(text) as { resources: Record<ResourceType, { body: string; version: string; name: string }[]> };
    const body = saved.resources[type][0]!.body;
    // One character in the middle of the base64 body, as an editor or a bad disk sector would change it.
    writeFileSync(file, flipAt(text, text.indexOf(body) + Math.floor(body.length / 2)));
    const store = createConfigStore();
    expect(await restoreLastKnownGood(store, file)).toEqual({
      status: 'refused',
      reason: 'the file does not match its sha256 digest (damaged)',
    });
    expectRefusedWhole(store, /^last-known-good refused: the file does not match its sha256 digest/);

    // The same damage with the digest made to match is still refused whole, by the resource's version check.
    const store2 = createConfigStore();
    const held = (await filledStore()).held();
    const damaged: EncodedResource = { ...held[type][0]!, body: Buffer.from(flipAt(body, Math.floor(body.length / 2)), 'base64') };
    await saveLastKnownGood(file, { ...held, [type]: [damaged] });
    expect(await restoreLastKnownGood(store2, file)).toEqual({
      status: 'refused',
      reason: `1 saved resource(s) refused, so none is used: ${damaged.name} (Resource.VersionMismatch)`,
    });
    expectRefusedWhole(store2, /^last-known-good refused: 1 saved resource\(s\) refused/);
  });

  it('refuses the whole file when its JSON, a name, a version, savedAt or the digest changed, or a resource was lost', async () => {
    const file = path.join(dir, 'json.json');
    const text = await savedText(file);
    const saved = JSON.parse(text) as {
      savedAt: string;
      sha256: string;
      resources: Record<ResourceType, { version: string; name: string }[]>;
    };
    const damages: [string, string][] = [
      ['truncated', text.slice(0, Math.floor(text.length / 2))],
      ['empty', ''],
      ['a brace lost', text.replace('{', '')],
      ['a name changed', text.replace(`"${saved.resources.waf[0]!.name}"`, '"waf/s2"')],
      ['a version changed', flipAt(text, text.indexOf(saved.resources.revocations[0]!.version) + 3)],
      ['savedAt changed', text.replace(saved.savedAt, new Date(0).toISOString())],
      ['the digest changed', flipAt(text, text.indexOf(saved.sha256) + 10)],
      ['the format changed', text.replace('portcullis-edge-last-known-good/2', 'portcullis-edge-last-known-good/1')],
      ['the digest removed', text.replace(`"sha256":"${saved.sha256}",`, '')],
      ['a resource lost', JSON.stringify({ ...JSON.parse(text), resources: { ...JSON.parse(text).resources, revocations: [] } })],
      ['a type lost', JSON.stringify({ ...JSON.parse(text), resources: { ...JSON.parse(text).resources, waf: undefined } })],
      ['an unknown type', JSON.stringify({ ...JSON.parse(text), resources: { ...JSON.parse(text).resources, extra: [] } })],
      [
        'a resource repeated',
        JSON.stringify({
          ...JSON.parse(text),
          resources: { ...JSON.parse(text).resources, waf: [saved.resources.waf[0], saved.resources.waf[0]] },
        }),
      ],
    ];
    for (const [what, damaged] of damages) {
      expect(damaged, what).not.toBe(text);
      writeFileSync(file, damaged);
      expect((await loadLastKnownGood(file)).status, what).toBe('unreadable');
      const store = createConfigStore();
      expect((await restoreLastKnownGood(store, file)).status, what).toBe('refused');
      expectRefusedWhole(store, /^last-known-good refused: /);
    }
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

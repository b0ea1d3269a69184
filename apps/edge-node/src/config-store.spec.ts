import type { ResourceType } from '@portcullis/config';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConfigStore, type ConfigStore } from './config-store.ts';
import { credentialResource, revocationsResource, siteResource, trustResource, wafResource, type TypedResource } from './test/resources.ts';
import { createTestPki, type TestCertificate, type TestPki } from './test/test-pki.ts';

function apply(store: ConfigStore, ...items: TypedResource[]) {
  const byType = new Map<ResourceType, TypedResource[]>();
  for (const item of items) byType.set(item.type, [...(byType.get(item.type) ?? []), item]);
  return [...byType].map(([type, list]) =>
    store.apply(
      type,
      list.map((i) => i.resource),
      [],
    ),
  );
}

function readyStore(...items: TypedResource[]): ConfigStore {
  const store = createConfigStore();
  store.restore({});
  apply(store, ...items);
  return store;
}

describe('config store and snapshots', () => {
  let pki: TestPki;
  let wildcardCert: TestCertificate;
  let apiCert: TestCertificate;
  let caA: string;
  let caB: string;

  beforeAll(async () => {
    pki = await createTestPki();
    wildcardCert = await pki.serverCertificate(['example.com', '*.example.com']);
    apiCert = await pki.serverCertificate(['api.example.com']);
    caA = (await pki.clientCa('CA A')).certificatePem;
    caB = (await pki.clientCa('CA B')).certificatePem;
  });
  afterAll(() => pki.remove());

  it('serves nothing until every type has had a delta, or last-known-good was restored', () => {
    const store = createConfigStore();
    for (const type of ['site', 'credential', 'trust', 'revocations'] as const) {
      store.apply(type, [], []);
      expect(store.current).toBeUndefined();
    }
    store.apply('waf', [], []);
    expect(store.current?.generation).toBe(1);
    const restored = createConfigStore();
    expect(restored.restore({ site: [siteResource('s1', 'example.com', 'http://o').resource] })).toEqual([]);
    expect(restored.current?.route('a.example.com')).toBeUndefined();
    restored.apply('trust', [trustResource('s1', {}, {}).resource], []);
    expect(restored.current?.route('a.example.com')?.id).toBe('s1');
  });

  it('routes a hostname to the site with the longest matching zone', () => {
    const store = readyStore(
      siteResource('outer', 'example.com', 'http://outer'),
      siteResource('inner', 'api.example.com', 'http://inner'),
      trustResource('outer', {}, {}),
      trustResource('inner', {}, {}),
    );
    const snapshot = store.current!;
    expect(snapshot.route('example.com')?.id).toBe('outer');
    expect(snapshot.route('www.example.com')?.id).toBe('outer');
    expect(snapshot.route('api.example.com')?.id).toBe('inner');
    expect(snapshot.route('v1.api.example.com')?.id).toBe('inner');
    expect(snapshot.route('example.org')).toBeUndefined();
    expect(snapshot.route('badexample.com')).toBeUndefined();
  });

  it('chooses the credential and exactly the bound CAs per server name, exact and wildcard together', () => {
    const store = readyStore(
      siteResource('s1', 'example.com', 'http://o'),
      credentialResource('wild', 's1', ['example.com', '*.example.com'], wildcardCert),
      credentialResource('api', 's1', ['api.example.com'], apiCert),
      trustResource(
        's1',
        { ca_a: caA, ca_b: caB },
        { 'api.example.com': ['ca_a'], '*.example.com': ['ca_b'], 'deep.x.example.com': ['ca_a'] },
      ),
    );
    const snapshot = store.current!;
    const api = snapshot.tlsFor('api.example.com')!;
    expect(api.trust?.caIds).toEqual(['ca_a', 'ca_b']);
    expect(snapshot.tlsFor('www.example.com')!.trust?.caIds).toEqual(['ca_b']);
    expect(snapshot.tlsFor('example.com')!.trust).toBeUndefined();
    // The wildcard binding covers one label only, and no credential serves deep names.
    expect(snapshot.tlsFor('deep.x.example.com')).toBeUndefined();
    expect(snapshot.tlsFor('example.org')).toBeUndefined();
    expect(snapshot.tlsFor('api.example.com')!.context).not.toBe(snapshot.tlsFor('www.example.com')!.context);
    expect(snapshot.tlsFor('a.example.com')!.context).toBe(snapshot.tlsFor('b.example.com')!.context);
  });

  it('keeps contexts and trust stores across snapshots while their material is unchanged', () => {
    const store = readyStore(
      siteResource('s1', 'example.com', 'http://o'),
      credentialResource('wild', 's1', ['*.example.com'], wildcardCert),
      trustResource('s1', { ca_a: caA }, { 'api.example.com': ['ca_a'] }),
    );
    const before = store.current!.tlsFor('api.example.com')!;
    apply(store, wafResource('s1', [{ id: 'r1', expression: 'not ssl.client_cert.verified' }]));
    const after = store.current!.tlsFor('api.example.com')!;
    expect(after.site).not.toBe(before.site);
    expect(after.context).toBe(before.context);
    expect(after.trust).toBe(before.trust);
    expect(after.site.waf?.rules.map((r) => r.id)).toEqual(['r1']);
    apply(store, trustResource('s1', { ca_a: caA, ca_b: caB }, { 'api.example.com': ['ca_a', 'ca_b'] }));
    const rebound = store.current!.tlsFor('api.example.com')!;
    expect(rebound.trust).not.toBe(before.trust);
    expect(rebound.context).not.toBe(before.context);
  });

  it('applies the valid resources of a delta and keeps the last good version of a refused one', () => {
    const store = readyStore(
      siteResource('s1', 'example.com', 'http://one'),
      siteResource('s2', 'example.org', 'http://two'),
      trustResource('s1', {}, {}),
      trustResource('s2', {}, {}),
    );
    const first = store.versions('site');
    const outcome = store.apply(
      'site',
      [siteResource('s1', 'example.com', 'http://one-b').resource, siteResource('s2', 'example.org', 'gopher://x').resource],
      ['site/unknown'],
    );
    expect(outcome.applied).toEqual(['site/s1']);
    expect(outcome.removed).toEqual([]);
    expect(outcome.rejected.map((e) => [e.code, e.resourceName])).toEqual([['Resource.Invalid', 'site/s2']]);
    expect(store.current!.route('example.com')!.origin.href).toBe('http://one-b/');
    expect(store.current!.route('example.org')!.origin.href).toBe('http://two/');
    expect(store.versions('site')['site/s2']).toBe(first['site/s2']);
    expect(store.apply('site', [], ['site/s2']).removed).toEqual(['site/s2']);
    expect(store.current!.route('example.org')).toBeUndefined();
    expect(store.held().site.map((r) => r.name)).toEqual(['site/s1']);
  });

  it('looks revocations up by CA id and serial', () => {
    const store = readyStore(revocationsResource('ca_a', ['0a', 'ff01']));
    expect(store.current!.isRevoked('ca_a', 'ff01')).toBe(true);
    expect(store.current!.isRevoked('ca_a', 'ff02')).toBe(false);
    expect(store.current!.isRevoked('ca_b', 'ff01')).toBe(false);
  });

  it('tells listeners about each swap and ignores credentials of unknown sites', () => {
    const store = createConfigStore();
    store.restore({});
    const seen: number[] = [];
    store.onSwap((snapshot) => seen.push(snapshot.generation));
    apply(store, credentialResource('api', 'nope', ['api.example.com'], apiCert), siteResource('s1', 'example.com', 'http://o'));
    expect(seen).toEqual([2, 3]);
    expect(store.current!.route('example.com')).toBeUndefined();
    expect(store.current!.tlsFor('api.example.com')).toBeUndefined();
  });
});

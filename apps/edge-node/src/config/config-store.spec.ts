import type { ResourceType } from '@portcullis/config';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConfigStore, type ConfigStore } from './config-store.ts';
import {
  credentialResource,
  revocationsResource,
  siteResource,
  trustResource,
  wafResource,
  type TypedResource,
} from '../test/resources.ts';
import { createTestPki, type TestCertificate, type TestPki } from '../test/test-pki.ts';

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
  let shopCert: TestCertificate;
  let caA: string;
  let caB: string;

  beforeAll(async () => {
    pki = await createTestPki();
    wildcardCert = await pki.serverCertificate(['example.com', '*.example.com']);
    apiCert = await pki.serverCertificate(['api.example.com']);
    shopCert = await pki.serverCertificate(['shop.example.com']);
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
    expect(restored.restore({ site: [siteResource('s1', 'example.com', 'http://o').resource] })).toEqual({ ok: true });
    expect(restored.current?.route('a.example.com')).toBeUndefined();
    restored.apply('trust', [trustResource('s1', {}, {}).resource], []);
    expect(restored.current?.route('a.example.com')).toBeUndefined();
    restored.apply('waf', [wafResource('s1', []).resource], []);
    expect(restored.current?.route('a.example.com')?.id).toBe('s1');
  });

  it('routes a hostname to the site with the longest matching zone', () => {
    const store = readyStore(
      siteResource('outer', 'example.com', 'http://outer'),
      siteResource('inner', 'api.example.com', 'http://inner'),
      trustResource('outer', {}, {}),
      trustResource('inner', {}, {}),
      wafResource('outer', []),
      wafResource('inner', []),
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
      wafResource('s1', []),
      revocationsResource('ca_a', []),
      revocationsResource('ca_b', []),
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
      wafResource('s1', []),
      revocationsResource('ca_a', []),
      revocationsResource('ca_b', []),
    );
    const before = store.current!.tlsFor('api.example.com')!;
    apply(store, wafResource('s1', [{ id: 'r1', expression: 'not ssl.client_cert.verified' }]));
    const after = store.current!.tlsFor('api.example.com')!;
    expect(after.site).not.toBe(before.site);
    expect(after.context).toBe(before.context);
    expect(after.trust).toBe(before.trust);
    expect(after.site.waf.rules.map((r) => r.id)).toEqual(['r1']);
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
      wafResource('s1', []),
      wafResource('s2', []),
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

  it('looks revocations up by CA id and serial, and counts every serial of a CA without a set as revoked', () => {
    const store = readyStore(revocationsResource('ca_a', ['0a', 'ff01']), revocationsResource('ca_empty', []));
    expect(store.current!.isRevoked('ca_a', 'ff01')).toBe(true);
    expect(store.current!.isRevoked('ca_a', 'ff02')).toBe(false);
    expect(store.current!.isRevoked('ca_empty', 'ff01')).toBe(false);
    expect(store.current!.isRevoked('ca_b', 'ff01')).toBe(true);
  });

  describe('completeness: a site is served only with everything it depends on', () => {
    /** s1 on example.com: a wildcard credential, api.example.com bound to CA A, every resource there. */
    const complete = () => [
      siteResource('s1', 'example.com', 'http://o'),
      credentialResource('wild', 's1', ['example.com', '*.example.com'], wildcardCert),
      trustResource('s1', { ca_a: caA }, { 'api.example.com': ['ca_a'] }),
      wafResource('s1', [{ id: 'r1', expression: 'not ssl.client_cert.verified' }]),
      revocationsResource('ca_a', []),
    ];
    const without = (name: string) => complete().filter((item) => item.resource.name !== name);
    const refused = (store: ConfigStore, hostname: string) => {
      const snapshot = store.current!;
      return { tls: snapshot.tlsFor(hostname), route: snapshot.route(hostname), servability: snapshot.servability(hostname) };
    };

    it('serves every name of a complete site and says it is ready', () => {
      const store = readyStore(...complete());
      expect(store.readiness).toEqual({ ready: true, serving: true, status: 'ready', reason: '', incompleteSites: [] });
      expect(store.current!.tlsFor('api.example.com')?.trust?.caIds).toEqual(['ca_a']);
      expect(store.current!.tlsFor('www.example.com')?.trust).toBeUndefined();
      expect(store.current!.servability('www.example.com')).toMatchObject({ servable: true, site: { id: 's1' } });
      expect(store.current!.servability('example.org')).toMatchObject({ servable: false, reason: 'no-site' });
    });

    it('refuses every name of a site whose WAF ruleset has not arrived (not "no rules"), until it does', () => {
      const store = readyStore(...without('waf/s1'));
      for (const hostname of ['api.example.com', 'www.example.com', 'example.com']) {
        expect(refused(store, hostname), hostname).toEqual({
          tls: undefined,
          route: undefined,
          servability: { servable: false, reason: 'site-incomplete', detail: 'site s1 is incomplete: missing waf/s1' },
        });
      }
      expect(store.readiness).toMatchObject({
        ready: false,
        serving: true,
        status: 'sites-incomplete',
        reason: 'sites incomplete: s1 (missing waf/s1)',
        incompleteSites: [{ siteId: 's1', zone: 'example.com', missing: ['waf/s1'], refuses: 'all' }],
      });
      apply(store, wafResource('s1', []));
      expect(store.current!.tlsFor('www.example.com')).toBeDefined();
      expect(store.current!.route('api.example.com')?.waf.rules).toEqual([]);
      expect(store.readiness.ready).toBe(true);
    });

    it("refuses the mTLS names of a site missing a CA's revocation set (never the wildcard's plain context), serves its other names", () => {
      const store = readyStore(...without('revocations/ca_a'));
      // api.example.com is covered by the plain wildcard credential too: refusing must not fall back to it.
      expect(refused(store, 'api.example.com')).toEqual({
        tls: undefined,
        route: undefined,
        servability: { servable: false, reason: 'site-incomplete', detail: 'site s1 is incomplete: missing revocations/ca_a' },
      });
      expect(store.current!.tlsFor('www.example.com')?.trust).toBeUndefined();
      expect(store.current!.route('www.example.com')?.id).toBe('s1');
      expect(store.readiness).toMatchObject({
        status: 'sites-incomplete',
        incompleteSites: [{ siteId: 's1', missing: ['revocations/ca_a'], refuses: 'mtls' }],
      });
      apply(store, revocationsResource('ca_a', ['0a']));
      expect(store.current!.tlsFor('api.example.com')?.trust?.caIds).toEqual(['ca_a']);
      expect(store.readiness.ready).toBe(true);
    });

    it('refuses a wildcard-bound name whose CA has no revocation set', () => {
      const store = readyStore(
        ...without('trust/s1'),
        trustResource('s1', { ca_a: caA, ca_b: caB }, { 'api.example.com': ['ca_a'], '*.example.com': ['ca_b'] }),
      );
      expect(store.current!.tlsFor('www.example.com')).toBeUndefined();
      expect(store.current!.tlsFor('api.example.com')).toBeUndefined();
      // The zone's apex is not covered by its wildcard: no bindings, served.
      expect(store.current!.tlsFor('example.com')?.trust).toBeUndefined();
    });

    it('refuses the mTLS names of a site whose trust bundle gains a CA before that CA’s revocation set arrives', () => {
      const store = readyStore(...complete());
      apply(store, trustResource('s1', { ca_a: caA, ca_b: caB }, { 'api.example.com': ['ca_a'], 'custom.example.com': ['ca_b'] }));
      expect(store.current!.tlsFor('custom.example.com')).toBeUndefined();
      expect(store.current!.route('custom.example.com')).toBeUndefined();
      expect(store.current!.tlsFor('api.example.com')).toBeUndefined();
      expect(store.current!.tlsFor('www.example.com')).toBeDefined();
      expect(store.readiness.incompleteSites).toEqual([
        { siteId: 's1', zone: 'example.com', missing: ['revocations/ca_b'], refuses: 'mtls' },
      ]);
      apply(store, revocationsResource('ca_b', []));
      expect(store.current!.tlsFor('custom.example.com')?.trust?.caIds).toEqual(['ca_b']);
      expect(store.current!.tlsFor('api.example.com')?.trust?.caIds).toEqual(['ca_a']);
    });

    it('makes a site incomplete when a revocation set its trust bundle still names is removed', () => {
      const store = readyStore(...complete());
      expect(store.apply('revocations', [], ['revocations/ca_a']).removed).toEqual(['revocations/ca_a']);
      expect(store.current!.tlsFor('api.example.com')).toBeUndefined();
      expect(store.current!.isRevoked('ca_a', '0a')).toBe(true);
      expect(store.readiness.status).toBe('sites-incomplete');
    });

    it('leaves a site incomplete when the first version of its ruleset or revocation set is refused; a refused later one keeps the good one', () => {
      const badRules = wafResource('s1', [{ id: 'bad', expression: 'http.host eq' }]);
      const badSerials = revocationsResource('ca_a', ['not-hex']);
      const store = readyStore(...without('waf/s1').filter((item) => item.type !== 'revocations'));
      expect(store.apply('waf', [badRules.resource], []).rejected.map((e) => e.resourceName)).toEqual(['waf/s1']);
      expect(store.apply('revocations', [badSerials.resource], []).rejected.map((e) => e.resourceName)).toEqual(['revocations/ca_a']);
      expect(store.current!.tlsFor('www.example.com')).toBeUndefined();
      expect(store.current!.tlsFor('api.example.com')).toBeUndefined();
      expect(store.readiness.incompleteSites).toEqual([
        { siteId: 's1', zone: 'example.com', missing: ['revocations/ca_a', 'waf/s1'], refuses: 'all' },
      ]);

      apply(store, wafResource('s1', [{ id: 'good', expression: 'not ssl.client_cert.verified' }]), revocationsResource('ca_a', ['0a']));
      expect(store.readiness.ready).toBe(true);
      expect(store.apply('waf', [badRules.resource], []).rejected).toHaveLength(1);
      expect(store.apply('revocations', [badSerials.resource], []).rejected).toHaveLength(1);
      expect(store.current!.route('api.example.com')?.waf.rules.map((r) => r.id)).toEqual(['good']);
      expect(store.current!.isRevoked('ca_a', '0a')).toBe(true);
      expect(store.readiness.ready).toBe(true);
    });

    it('refuses the names of a site whose trust bundle has not arrived, rather than route them to a site of a shorter zone', () => {
      const store = readyStore(
        ...complete(),
        siteResource('inner', 'shop.example.com', 'http://inner'),
        credentialResource('shop', 'inner', ['shop.example.com'], shopCert),
        wafResource('inner', []),
      );
      expect(store.current!.route('shop.example.com')).toBeUndefined();
      expect(store.current!.route('a.shop.example.com')).toBeUndefined();
      expect(store.current!.tlsFor('shop.example.com')).toBeUndefined();
      expect(store.current!.servability('shop.example.com')).toMatchObject({ servable: false, reason: 'site-incomplete' });
      expect(store.readiness.incompleteSites).toEqual([
        { siteId: 'inner', zone: 'shop.example.com', missing: ['trust/inner'], refuses: 'all' },
      ]);
      apply(store, trustResource('inner', {}, {}));
      expect(store.current!.route('shop.example.com')?.id).toBe('inner');
    });
  });

  it('refuses the names a trust bundle binds while its site is not held, rather than serve them by a site of a shorter zone', () => {
    const store = readyStore(
      siteResource('outer', 'example.com', 'http://outer'),
      credentialResource('wild', 'outer', ['example.com', '*.example.com'], wildcardCert),
      trustResource('outer', {}, {}),
      wafResource('outer', []),
      trustResource('inner', { ca_a: caA }, { 'shop.example.com': ['ca_a'] }),
      wafResource('inner', []),
      revocationsResource('ca_a', []),
    );
    // The inner site's first version is refused: only its trust bundle says shop.example.com asks for a certificate.
    expect(store.apply('site', [siteResource('inner', 'shop.example.com', 'gopher://x').resource], []).rejected).toHaveLength(1);
    expect(store.current!.tlsFor('shop.example.com')).toBeUndefined();
    expect(store.current!.route('shop.example.com')).toBeUndefined();
    expect(store.current!.servability('shop.example.com')).toEqual({
      servable: false,
      reason: 'site-incomplete',
      detail: 'site inner is incomplete: missing site/inner',
    });
    expect(store.current!.tlsFor('www.example.com')?.site.id).toBe('outer');
    expect(store.readiness.incompleteSites).toEqual([{ siteId: 'inner', zone: undefined, missing: ['site/inner'], refuses: 'mtls' }]);
    apply(store, siteResource('inner', 'shop.example.com', 'http://inner'));
    expect(store.current!.route('shop.example.com')?.id).toBe('inner');
    expect(store.readiness.ready).toBe(true);
  });

  describe('readiness and restore', () => {
    it('says what a store that serves nothing waits for', () => {
      const store = createConfigStore();
      expect(store.readiness).toEqual({
        ready: false,
        serving: false,
        status: 'waiting-for-control-plane',
        reason: 'waiting for the control plane (no first response yet for site, credential, trust, revocations, waf)',
        incompleteSites: [],
      });
      store.apply('site', [], []);
      expect(store.readiness.reason).toBe('waiting for the control plane (no first response yet for credential, trust, revocations, waf)');
      store.refuseRestore('the file does not match its sha256 digest (damaged)');
      expect(store.readiness).toMatchObject({
        ready: false,
        serving: false,
        status: 'last-known-good-refused',
        reason:
          'last-known-good refused: the file does not match its sha256 digest (damaged); waiting for the control plane (no first response yet for credential, trust, revocations, waf)',
      });
      for (const type of ['credential', 'trust', 'revocations', 'waf'] as const) store.apply(type, [], []);
      expect(store.readiness.status).toBe('ready');
    });

    it('restores a saved set whole or not at all', () => {
      const good = [siteResource('s1', 'example.com', 'http://o'), trustResource('s1', {}, {}), wafResource('s1', [])];
      const flipped = (item: TypedResource): TypedResource => {
        const body = Uint8Array.from(item.resource.body);
        body[body.length - 1]! ^= 1;
        return { ...item, resource: { ...item.resource, body } };
      };
      const held = (items: TypedResource[]) => ({
        site: items.filter((i) => i.type === 'site').map((i) => i.resource),
        trust: items.filter((i) => i.type === 'trust').map((i) => i.resource),
        waf: items.filter((i) => i.type === 'waf').map((i) => i.resource),
      });

      const damaged = createConfigStore();
      const outcome = damaged.restore(held([good[0]!, good[1]!, flipped(good[2]!)]));
      expect(outcome).toMatchObject({
        ok: false,
        reason: '1 saved resource(s) refused, so none is used: waf/s1 (Resource.VersionMismatch)',
      });
      expect(damaged.current).toBeUndefined();
      expect(damaged.held()).toEqual({ site: [], credential: [], trust: [], revocations: [], waf: [] });
      expect(damaged.versions('site')).toEqual({});
      expect(damaged.readiness).toMatchObject({ serving: false, status: 'last-known-good-refused' });
      expect(damaged.readiness.reason).toMatch(/^last-known-good refused: 1 saved resource\(s\) refused/);

      const twice = createConfigStore();
      expect(twice.restore({ ...held(good), site: [good[0]!.resource, good[0]!.resource] })).toMatchObject({
        ok: false,
        reason: expect.stringContaining('site/s1 (saved twice)'),
      });
      expect(twice.current).toBeUndefined();

      const whole = createConfigStore();
      expect(whole.restore(held(good))).toEqual({ ok: true });
      expect(whole.readiness.ready).toBe(true);
      expect(whole.current!.route('example.com')?.id).toBe('s1');
    });
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

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSqliteStore } from '../src/store/sqlite-store.ts';
import type { Store } from '../src/store/store.ts';
import { CommitGate, gatedStore, puts } from './support/gated-store.ts';
import { OpensslCa, TempDir, serverCertificate } from './support/openssl.ts';
import { makeCa } from './support/pki.ts';
import {
  buildTestApp,
  call,
  createAccount,
  createClientCertificate,
  createSite,
  expectError,
  uploadCustomCa,
  type Answer,
  type TestAccount,
  type TestApp,
  type TestSite,
} from './support/test-app.ts';

/**
 * What happens when the world changes between a request's reads and its write: the gate
 * runs another request just before the first one commits.
 */
describe('changes that meet in flight', () => {
  let t: TestApp;
  let raw: Store;
  let dir: TempDir;
  const gate = new CommitGate();
  let a: TestAccount;

  beforeAll(async () => {
    raw = createSqliteStore({ path: ':memory:' });
    t = await buildTestApp({ store: gatedStore(raw, gate) });
    dir = new TempDir();
    a = await createAccount(t);
  });
  afterAll(async () => {
    await t?.close();
    await raw?.close();
    dir?.remove();
  });

  const deleteSite = (site: TestSite) => async () =>
    expect((await call(t.app, a.apiKey, 'DELETE', `/v1/sites/${site.id}`)).status).toBe(204);

  it('a site deleted while a client certificate is issued: NotFound.Site, nothing left behind', async () => {
    const site = await createSite(t, a);
    gate.before(puts('clientCertificate'), deleteSite(site));
    expectError(await call(t.app, a.apiKey, 'POST', `/v1/sites/${site.id}/client-certificates`, {}), 404, 'NotFound.Site');
    expect((await raw.list('clientCertificate', `clientCertificates:${site.id}`, { offset: 0, limit: 10 })).total).toBe(0);
  });

  it('a client certificate issued while its site is deleted is swept up and stays revoked', async () => {
    const site = await createSite(t, a);
    let issued: Answer | undefined;
    // The delete has listed the site's certificates; now one more lands before it commits.
    gate.before(puts('revocation'), async () => {
      issued = await call(t.app, a.apiKey, 'POST', `/v1/sites/${site.id}/client-certificates`, {});
    });
    await createClientCertificate(t, a, site.id);
    expect((await call(t.app, a.apiKey, 'DELETE', `/v1/sites/${site.id}`)).status).toBe(204);
    expect(issued?.status).toBe(201);
    const late = issued!.body.certificate;
    expect(await raw.get('clientCertificate', late.id)).toBeUndefined();
    expect((await raw.get('revocation', `${a.accountId}:${late.serialNumber}`))?.data).toMatchObject({ source: 'deleted-certificate' });
    expect((await raw.list('clientCertificate', `clientCertificates:${site.id}`, { offset: 0, limit: 10 })).total).toBe(0);
  });

  it('a custom CA uploaded while its site is deleted does not stay behind holding a quota slot', async () => {
    const b = await createAccount(t, { plan: { customCaQuota: 1 } });
    const site = await createSite(t, b);
    const ca = await makeCa('Late CA');
    gate.before(puts('customCa'), async () => expect((await call(t.app, b.apiKey, 'DELETE', `/v1/sites/${site.id}`)).status).toBe(204));
    const answer = await call(t.app, b.apiKey, 'POST', `/v1/sites/${site.id}/client-ca-certificates`, { certificate: ca.certificatePem });
    expectError(answer, 404, 'NotFound.Site');
    expect(await raw.count(`customCas:${b.accountId}`)).toBe(0);
    const again = await createSite(t, b);
    await uploadCustomCa(t, b, again.id, ca.certificatePem);
  });

  it('a custom CA uploaded while the delete of its site runs is swept up too', async () => {
    const b = await createAccount(t);
    const site = await createSite(t, b);
    await uploadCustomCa(t, b, site.id, (await makeCa('First CA')).certificatePem);
    let late: Answer | undefined;
    gate.before(puts('revocation'), async () => {
      late = await call(t.app, b.apiKey, 'POST', `/v1/sites/${site.id}/client-ca-certificates`, {
        certificate: (await makeCa('Racing CA')).certificatePem,
      });
    });
    await createClientCertificate(t, b, site.id);
    expect((await call(t.app, b.apiKey, 'DELETE', `/v1/sites/${site.id}`)).status).toBe(204);
    expect(late?.status).toBe(201);
    expect(await raw.get('customCa', late!.body.id)).toBeUndefined();
    expect(await raw.count(`customCas:${b.accountId}`)).toBe(0);
  });

  it('a WAF rule added while its site is deleted: NotFound.Site, no ruleset left', async () => {
    const site = await createSite(t, a);
    gate.before(puts('wafRuleset'), deleteSite(site));
    expectError(await call(t.app, a.apiKey, 'POST', `/v1/sites/${site.id}/waf-rules`, { expression: 'ssl' }), 404, 'NotFound.Site');
    expect(await raw.get('wafRuleset', site.id)).toBeUndefined();
  });

  it('a binding set while its site is deleted: NotFound.Site, no binding left', async () => {
    const site = await createSite(t, a);
    gate.before(puts('binding'), deleteSite(site));
    expectError(
      await call(t.app, a.apiKey, 'PUT', `/v1/sites/${site.id}/ca-bindings/account`, { hostnames: [site.name] }),
      404,
      'NotFound.Site',
    );
    expect(await raw.get('binding', `${site.id}:${a.accountId}`)).toBeUndefined();
  });

  it('a binding set while its custom CA is deleted: NotFound.CaCertificate, no binding left', async () => {
    const site = await createSite(t, a);
    const ca = await uploadCustomCa(t, a, site.id, (await makeCa('Unbound CA')).certificatePem);
    gate.before(puts('binding'), async () =>
      expect((await call(t.app, a.apiKey, 'DELETE', `/v1/sites/${site.id}/client-ca-certificates/${ca.id}`)).status).toBe(204),
    );
    expectError(
      await call(t.app, a.apiKey, 'PUT', `/v1/sites/${site.id}/ca-bindings/${ca.id}`, { hostnames: [site.name] }),
      404,
      'NotFound.CaCertificate',
    );
    expect(await raw.get('binding', `${site.id}:${ca.id}`)).toBeUndefined();
  });

  it('a CRL or a hand revocation for a custom CA deleted meanwhile: Conflict.ConcurrentChange, nothing stored', async () => {
    const site = await createSite(t, a);
    const caCert = await makeCa('Vanishing CA');
    const crl = new OpensslCa(dir, 'vanishing', caCert.certificatePem, caCert.privateKeyPem).crl();
    for (const [kind, method, suffix, body] of [
      ['customCaCrl', 'PUT', '/crl', { crl }],
      ['revocation', 'POST', '/revocations', { serialNumber: '42' }],
    ] as const) {
      const ca = await uploadCustomCa(t, a, site.id, caCert.certificatePem);
      gate.before(puts(kind), async () =>
        expect((await call(t.app, a.apiKey, 'DELETE', `/v1/sites/${site.id}/client-ca-certificates/${ca.id}`)).status).toBe(204),
      );
      expectError(
        await call(t.app, a.apiKey, method, `/v1/sites/${site.id}/client-ca-certificates/${ca.id}${suffix}`, body),
        409,
        'Conflict.ConcurrentChange',
      );
      expect(await raw.get('customCaCrl', ca.id)).toBeUndefined();
      expect(await raw.get('revocation', `${ca.id}:42`)).toBeUndefined();
    }
  });

  it('a certificate deleted while it is revoked is not brought back', async () => {
    const site = await createSite(t, a);
    const { certificate } = await createClientCertificate(t, a, site.id);
    const url = `/v1/sites/${site.id}/client-certificates/${certificate.id}`;
    gate.before(puts('clientCertificate'), async () => expect((await call(t.app, a.apiKey, 'DELETE', url)).status).toBe(204));
    expectError(await call(t.app, a.apiKey, 'POST', `${url}/revoke`, { confirm: true }), 404, 'NotFound.ClientCertificate');
    expect(await raw.get('clientCertificate', certificate.id)).toBeUndefined();
  });

  it('two revocations of one certificate: one succeeds, the other is Conflict.Status', async () => {
    const site = await createSite(t, a);
    const { certificate } = await createClientCertificate(t, a, site.id);
    const url = `/v1/sites/${site.id}/client-certificates/${certificate.id}/revoke`;
    let inner: Answer | undefined;
    gate.before(puts('clientCertificate'), async () => {
      inner = await call(t.app, a.apiKey, 'POST', url, { confirm: true });
    });
    expectError(await call(t.app, a.apiKey, 'POST', url, { confirm: true }), 409, 'Conflict.Status');
    expect(inner?.status).toBe(200);
  });

  it('an unrelated change to the site does not fail an upload or an issuance', async () => {
    const site = await createSite(t, a);
    const patch = async () =>
      expect(
        (await call(t.app, a.apiKey, 'PATCH', `/v1/sites/${site.id}`, { originUrl: `https://o${Date.now()}.example.net` })).status,
      ).toBe(200);
    gate.before(puts('clientCertificate'), patch);
    expect((await call(t.app, a.apiKey, 'POST', `/v1/sites/${site.id}/client-certificates`, {})).status).toBe(201);
    gate.before(puts('binding'), patch);
    expect((await call(t.app, a.apiKey, 'PUT', `/v1/sites/${site.id}/ca-bindings/account`, { hostnames: [site.name] })).status).toBe(200);
    gate.before(puts('customCa'), patch);
    expect(
      (
        await call(t.app, a.apiKey, 'POST', `/v1/sites/${site.id}/client-ca-certificates`, {
          certificate: (await makeCa('Patched CA')).certificatePem,
        })
      ).status,
    ).toBe(201);
    const { certificate, privateKey } = serverCertificate(dir, [`www.${site.name}`]);
    gate.before(puts('serverCertificate'), patch);
    const uploaded = await call(t.app, a.apiKey, 'POST', `/v1/sites/${site.id}/server-certificates`, { certificate, privateKey });
    expect(uploaded.status, JSON.stringify(uploaded.body)).toBe(201);
  });

  it('gives up with Conflict.ConcurrentChange when the store keeps refusing, and writes nothing', async () => {
    const site = await createSite(t, a);
    let attempts = 0;
    const refusing = await buildTestApp({
      store: {
        ...gatedStore(raw, new CommitGate()),
        async commit() {
          attempts++;
          return { ok: false, guard: 0 };
        },
      },
    });
    try {
      const revision = await raw.revision();
      expectError(
        await call(refusing.app, a.apiKey, 'PATCH', `/v1/sites/${site.id}`, { originUrl: 'https://never.example.net' }),
        409,
        'Conflict.ConcurrentChange',
      );
      expect(attempts).toBe(5);
      expect(await raw.revision()).toBe(revision);
    } finally {
      await refusing.close();
    }
  });
});

import { createPrivateKey } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCertificateAuthority } from '@portcullis/pki';
import { TempDir, serverCertificate } from './support/openssl.ts';
import {
  auditLog,
  buildTestApp,
  call,
  createAccount,
  createClientCertificate,
  createSite,
  expectError,
  snapshot,
  uniqueZone,
  uploadCustomCa,
  type TestAccount,
  type TestApp,
} from './support/test-app.ts';

describe('sites', () => {
  let t: TestApp;
  let a: TestAccount;
  beforeAll(async () => {
    t = await buildTestApp();
    a = await createAccount(t);
  });
  afterAll(async () => t?.close());

  it("creates a site with its zone and its origin's scheme and host lower-cased, nothing else changed", async () => {
    const answer = await call(t.app, a.apiKey, 'POST', '/v1/sites', {
      name: 'Shop.XN--BCHER-KVA.example',
      originUrl: 'https://Origin.Example.net:8443/',
    });
    expect(answer.status).toBe(201);
    expect(answer.body).toEqual({
      id: expect.stringMatching(/^site_[0-9a-f]{20}$/),
      name: 'shop.xn--bcher-kva.example',
      originUrl: 'https://origin.example.net:8443/',
      forwardClientCert: false,
      createdAt: expect.any(String),
      updatedAt: expect.any(String),
    });
    const stored = await t.store.get('site', answer.body.id);
    expect(stored?.data).toMatchObject({ accountId: a.accountId, name: 'shop.xn--bcher-kva.example' });
    expect((await auditLog(t, a))[0]).toMatchObject({ action: 'Site.Create', target: { kind: 'site', id: answer.body.id } });
  });

  it('refuses a zone any site already has, whoever owns it: Conflict.SiteExists', async () => {
    const site = await createSite(t, a);
    const b = await createAccount(t);
    const s = await snapshot(t, a, b);
    expectError(
      await call(t.app, a.apiKey, 'POST', '/v1/sites', { name: site.name.toUpperCase(), originUrl: 'https://o.example.net' }),
      409,
      'Conflict.SiteExists',
    );
    expectError(
      await call(t.app, b.apiKey, 'POST', '/v1/sites', { name: site.name, originUrl: 'https://o.example.net' }),
      409,
      'Conflict.SiteExists',
    );
    await s.expectUnchanged();
  });

  it("refuses a zone within or around another account's zone (Conflict.SiteExists); one account may nest its own", async () => {
    const owner = await createAccount(t);
    const zone = `z.${uniqueZone('owned')}`;
    await createSite(t, owner, zone);
    const other = await createAccount(t);
    const s = await snapshot(t, owner, other);
    for (const name of [`shop.${zone}`, `a.b.${zone}`, zone.split('.').slice(1).join('.')]) {
      const answer = await call(t.app, other.apiKey, 'POST', '/v1/sites', { name, originUrl: 'https://o.example.net' });
      expectError(answer, 409, 'Conflict.SiteExists');
      expect(answer.body.details).toEqual({ name, overlaps: zone });
    }
    await s.expectUnchanged();
    await createSite(t, other, `not-${zone}`);
    await createSite(t, owner, `api.${zone}`);
  });

  it('lists, gets and changes sites', async () => {
    const b = await createAccount(t);
    const one = await createSite(t, b);
    const two = await createSite(t, b);
    const list = await call(t.app, b.apiKey, 'GET', '/v1/sites');
    expect(list.status).toBe(200);
    expect(list.body).toMatchObject({ totalCount: 2, pageNumber: 1, pageSize: 20 });
    expect(list.body.items.map((s: { id: string }) => s.id)).toEqual([one.id, two.id]);
    expect((await call(t.app, b.apiKey, 'GET', '/v1/sites?pageSize=1&pageNumber=2')).body.items.map((s: { id: string }) => s.id)).toEqual([
      two.id,
    ]);

    const got = await call(t.app, b.apiKey, 'GET', `/v1/sites/${one.id}`);
    expect(got.status).toBe(200);
    expect(got.body).toMatchObject({ id: one.id, name: one.name, originUrl: 'https://origin.example.net' });

    const patched = await call(t.app, b.apiKey, 'PATCH', `/v1/sites/${one.id}`, { originUrl: 'http://10.0.0.7:8080/app/' });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ id: one.id, name: one.name, originUrl: 'http://10.0.0.7:8080/app/' });
    expect((await t.store.get('site', one.id))?.data.originUrl).toBe('http://10.0.0.7:8080/app/');
    expect(got.body.forwardClientCert).toBe(false);
    const forwarding = await call(t.app, b.apiKey, 'PATCH', `/v1/sites/${one.id}`, { forwardClientCert: true });
    expect(forwarding.body).toMatchObject({ originUrl: 'http://10.0.0.7:8080/app/', forwardClientCert: true });
    expect((await t.store.get('site', one.id))?.data.forwardClientCert).toBe(true);
    expectError(await call(t.app, b.apiKey, 'PATCH', `/v1/sites/${one.id}`, {}), 400, 'InvalidParameter');
    expectError(await call(t.app, b.apiKey, 'PATCH', `/v1/sites/${one.id}`, { forwardClientCert: 'yes' }), 400, 'InvalidParameter');
    expectError(await call(t.app, b.apiKey, 'GET', '/v1/sites/site_00000000000000000000'), 404, 'NotFound.Site');
    expectError(
      await call(t.app, b.apiKey, 'PATCH', '/v1/sites/site_00000000000000000000', { originUrl: 'https://x.example' }),
      404,
      'NotFound.Site',
    );
  });

  it.each([
    ['*.example.com'],
    ['com'],
    ['192.0.2.1'],
    ['exa mple.com'],
    ["x.com'; DROP TABLE docs;--"],
    ['$(reboot).example.com'],
    ['a..example.com'],
    [`${'a'.repeat(64)}.example.com`],
  ])('refuses the zone %j: InvalidParameter.SiteName, nothing stored', async (name) => {
    const s = await snapshot(t, a);
    expectError(
      await call(t.app, a.apiKey, 'POST', '/v1/sites', { name, originUrl: 'https://o.example.net' }),
      400,
      'InvalidParameter.SiteName',
    );
    await s.expectUnchanged();
  });

  it.each([
    ['ftp://o.example.net'],
    ['https://user:pw@o.example.net'],
    ['https://o.example.net/#frag'],
    ['not a url'],
    ['javascript:alert(1)'],
    ['file:///etc/passwd'],
    ['http://'],
  ])('refuses the origin %j: InvalidParameter.OriginUrl, nothing stored', async (originUrl) => {
    const site = await createSite(t, a);
    const s = await snapshot(t, a);
    expectError(await call(t.app, a.apiKey, 'POST', '/v1/sites', { name: uniqueZone(), originUrl }), 400, 'InvalidParameter.OriginUrl');
    expectError(await call(t.app, a.apiKey, 'PATCH', `/v1/sites/${site.id}`, { originUrl }), 400, 'InvalidParameter.OriginUrl');
    await s.expectUnchanged();
  });
});

describe('deleting a site', () => {
  let t: TestApp;
  let dir: TempDir;
  beforeAll(async () => {
    t = await buildTestApp();
    dir = new TempDir();
  });
  afterAll(async () => {
    await t?.close();
    dir?.remove();
  });

  it('removes everything under it in one write; its client certificates stay revoked; the zone is free again', async () => {
    const a = await createAccount(t);
    const site = await createSite(t, a);
    const keep = await createSite(t, a);
    const server = serverCertificate(dir, [`www.${site.name}`]);
    const srv = await call(t.app, a.apiKey, 'POST', `/v1/sites/${site.id}/server-certificates`, {
      certificate: server.certificate,
      privateKey: server.privateKey,
    });
    expect(srv.status).toBe(201);
    const cert = await createClientCertificate(t, a, site.id);
    const kept = await createClientCertificate(t, a, keep.id);
    const ca = await createCertificateAuthority({ subject: { commonName: 'Site delete CA' } });
    const custom = await uploadCustomCa(t, a, site.id, ca.certificatePem);
    expect(
      (await call(t.app, a.apiKey, 'POST', `/v1/sites/${site.id}/client-ca-certificates/${custom.id}/revocations`, { serialNumber: '01' }))
        .status,
    ).toBe(201);
    expect((await call(t.app, a.apiKey, 'PUT', `/v1/sites/${site.id}/ca-bindings/account`, { hostnames: [site.name] })).status).toBe(200);
    expect((await call(t.app, a.apiKey, 'PUT', `/v1/sites/${site.id}/ca-bindings/${custom.id}`, { hostnames: [site.name] })).status).toBe(
      200,
    );

    const revision = await t.store.revision();
    const deleted = await call(t.app, a.apiKey, 'DELETE', `/v1/sites/${site.id}`);
    expect(deleted.status).toBe(204);
    expect(deleted.raw.body).toBe('');
    expect(await t.store.revision()).toBe(revision + 1);

    expect(await t.store.get('site', site.id)).toBeUndefined();
    expect(await t.store.get('serverCertificate', srv.body.id)).toBeUndefined();
    expect(await t.store.get('clientCertificate', cert.certificate.id)).toBeUndefined();
    expect(await t.store.get('customCa', custom.id)).toBeUndefined();
    expect(await t.store.get('revocation', `${custom.id}:01`)).toBeUndefined();
    expect(await t.store.get('binding', `${site.id}:${a.accountId}`)).toBeUndefined();
    expect(await t.store.get('binding', `${site.id}:${custom.id}`)).toBeUndefined();
    const tombstone = await t.store.get('revocation', `${a.accountId}:${cert.certificate.serialNumber}`);
    expect(tombstone?.data).toMatchObject({
      source: 'deleted-certificate',
      serialNumber: cert.certificate.serialNumber,
      caId: a.accountId,
    });
    // The other site is untouched.
    expect(await t.store.get('clientCertificate', kept.certificate.id)).toBeDefined();
    expect((await auditLog(t, a))[0]).toMatchObject({ action: 'Site.Delete', details: { clientCertificates: 1, customCas: 1 } });

    expectError(await call(t.app, a.apiKey, 'GET', `/v1/sites/${site.id}`), 404, 'NotFound.Site');
    expectError(await call(t.app, a.apiKey, 'DELETE', `/v1/sites/${site.id}`), 404, 'NotFound.Site');
    // The custom CA's quota slot is free again, and the zone can be created anew.
    expect(await t.store.count(`customCas:${a.accountId}`)).toBe(0);
    expect((await call(t.app, a.apiKey, 'POST', '/v1/sites', { name: site.name, originUrl: 'https://o.example.net' })).status).toBe(201);
  });
});

describe('server certificates', () => {
  let t: TestApp;
  let a: TestAccount;
  let dir: TempDir;
  beforeAll(async () => {
    t = await buildTestApp();
    a = await createAccount(t);
    dir = new TempDir();
  });
  afterAll(async () => {
    await t?.close();
    dir?.remove();
  });

  it('uploads a chain with its key: the key is sealed, never returned; the hostnames are the SANs in the zone', async () => {
    const site = await createSite(t, a);
    const server = serverCertificate(dir, [`WWW.${site.name}`, `*.api.${site.name}`, 'elsewhere.example.org'], { keyType: 'rsa' });
    const chain = `${server.certificate}${server.caPem}`;
    const answer = await call(t.app, a.apiKey, 'POST', `/v1/sites/${site.id}/server-certificates`, {
      certificate: chain,
      privateKey: server.privateKey,
    });
    expect(answer.status, JSON.stringify(answer.body)).toBe(201);
    expect(answer.body).toEqual({
      id: expect.stringMatching(/^srv_/),
      siteId: site.id,
      certificate: expect.stringContaining('-----BEGIN CERTIFICATE-----'),
      hostnames: [`www.${site.name}`, `*.api.${site.name}`],
      fingerprintSha256: expect.any(String),
      notBefore: expect.any(String),
      notAfter: expect.any(String),
      createdAt: expect.any(String),
    });
    expect(answer.body.certificate.match(/BEGIN CERTIFICATE/g)).toHaveLength(2);
    expect(answer.raw.body).not.toContain('PRIVATE KEY');
    const stored = await t.store.get('serverCertificate', answer.body.id);
    expect(stored?.data.privateKey).toMatchObject({ v: 1, kekId: expect.any(String), ciphertext: expect.any(String) });
    expect(JSON.stringify(stored)).not.toContain('PRIVATE KEY');
    const opened = await t.keyManager.open(stored!.data.privateKey, `serverCertificate:${answer.body.id}`);
    expect(createPrivateKey(opened.toString()).export({ format: 'jwk' })).toEqual(
      createPrivateKey(server.privateKey).export({ format: 'jwk' }),
    );

    const listed = await call(t.app, a.apiKey, 'GET', `/v1/sites/${site.id}/server-certificates`);
    expect(listed.status).toBe(200);
    expect(listed.body).toMatchObject({ totalCount: 1, items: [{ id: answer.body.id }] });
    expect(listed.raw.body).not.toContain('PRIVATE KEY');
    expect(listed.raw.body).not.toContain('ciphertext');

    const s = await snapshot(t, a);
    expectError(
      await call(t.app, a.apiKey, 'DELETE', `/v1/sites/${site.id}/server-certificates/srv_00000000000000000000`),
      404,
      'NotFound.ServerCertificate',
    );
    await s.expectUnchanged();
    expect((await call(t.app, a.apiKey, 'DELETE', `/v1/sites/${site.id}/server-certificates/${answer.body.id}`)).status).toBe(204);
    expect(await t.store.get('serverCertificate', answer.body.id)).toBeUndefined();
    expect((await auditLog(t, a)).slice(0, 2).map((e) => e.action)).toEqual(['ServerCertificate.Delete', 'ServerCertificate.Upload']);
  });

  it('refuses what edges could not serve, with its code, and stores nothing', async () => {
    const site = await createSite(t, a);
    const good = serverCertificate(dir, [`www.${site.name}`]);
    const other = serverCertificate(dir, [`www.${site.name}`]);
    const foreign = serverCertificate(dir, ['www.example.org']);
    const ca = await createCertificateAuthority({ subject: { commonName: 'Not a leaf' } });
    const url = `/v1/sites/${site.id}/server-certificates`;
    const cases: [string, unknown, number, string][] = [
      [
        'key of another certificate',
        { certificate: good.certificate, privateKey: other.privateKey },
        400,
        'InvalidParameter.CertificateKeyMismatch',
      ],
      [
        'no hostname of the zone',
        { certificate: foreign.certificate, privateKey: foreign.privateKey },
        400,
        'InvalidParameter.ServerCertificate',
      ],
      [
        'a CA certificate as the leaf',
        { certificate: ca.certificatePem, privateKey: ca.privateKeyPem },
        400,
        'InvalidParameter.ServerCertificate',
      ],
      ['no PEM at all', { certificate: 'hello', privateKey: good.privateKey }, 400, 'InvalidParameter.ServerCertificate'],
      [
        'nine certificates',
        { certificate: good.certificate.repeat(9), privateKey: good.privateKey },
        400,
        'InvalidParameter.ServerCertificate',
      ],
      [
        'a broken certificate',
        { certificate: '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n', privateKey: good.privateKey },
        400,
        'Certificate.Malformed',
      ],
      [
        'a broken key',
        { certificate: good.certificate, privateKey: '-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n' },
        400,
        'Key.Malformed',
      ],
      ['a missing key', { certificate: good.certificate }, 400, 'InvalidParameter'],
    ];
    const s = await snapshot(t, a);
    for (const [label, body, status, code] of cases) {
      const answer = await call(t.app, a.apiKey, 'POST', url, body);
      expect({ label, status: answer.status, code: answer.body.code }).toEqual({ label, status, code });
    }
    await s.expectUnchanged();
  });

  it('refuses an expired leaf', async () => {
    const fixed = await buildTestApp({ store: t.store, now: () => new Date(Date.now() + 90 * 86_400_000) });
    const b = await createAccount(fixed);
    const later = await createSite(fixed, b);
    const server = serverCertificate(dir, [`www.${later.name}`], { days: 30 });
    const s = await snapshot(fixed, b);
    expectError(
      await call(fixed.app, b.apiKey, 'POST', `/v1/sites/${later.id}/server-certificates`, {
        certificate: server.certificate,
        privateKey: server.privateKey,
      }),
      400,
      'InvalidParameter.ServerCertificate',
    );
    await s.expectUnchanged();
    await fixed.close();
  });
});

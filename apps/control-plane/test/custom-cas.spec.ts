import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OpensslCa, TempDir, openssl } from './support/openssl.ts';
import { issueFrom, makeCa } from './support/pki.ts';
import {
  auditLog,
  buildTestApp,
  call,
  createAccount,
  createSite,
  expectError,
  snapshot,
  uploadCustomCa,
  type TestAccount,
  type TestApp,
  type TestSite,
} from './support/test-app.ts';

const dayMs = 86_400_000;

describe('custom CAs', () => {
  let t: TestApp;
  let a: TestAccount;
  let site: TestSite;
  let dir: TempDir;
  const url = (s = site) => `/v1/sites/${s.id}/client-ca-certificates`;

  beforeAll(async () => {
    t = await buildTestApp();
    a = await createAccount(t);
    site = await createSite(t, a);
    dir = new TempDir();
  });
  afterAll(async () => {
    await t?.close();
    dir?.remove();
  });

  it('uploads a CA: facts, type upload, the name given or its common name; audited', async () => {
    const ca = await makeCa('Upload CA');
    const named = await call(t.app, a.apiKey, 'POST', url(), { certificate: ca.certificatePem, name: 'Factory floor' });
    expect(named.status).toBe(201);
    expect(named.body).toEqual({
      id: expect.stringMatching(/^ca_[0-9a-f]{20}$/),
      siteId: site.id,
      name: 'Factory floor',
      type: 'upload',
      certificate: ca.certificatePem,
      createdAt: expect.any(String),
      commonName: 'Upload CA',
      subjectDn: expect.stringContaining('CN=Upload CA'),
      issuerDn: expect.stringContaining('CN=Upload CA'),
      serialNumber: ca.info.serialNumber,
      fingerprintSha256: ca.info.fingerprintSha256,
      signatureAlgorithm: expect.any(String),
      pubkeyAlgorithm: expect.any(String),
      san: [],
      notBefore: ca.info.notBefore.toISOString(),
      notAfter: ca.info.notAfter.toISOString(),
      subjectKeyId: ca.info.subjectKeyId,
    });
    expect((await t.store.get('customCa', named.body.id))?.data).toMatchObject({
      accountId: a.accountId,
      siteId: site.id,
      name: 'Factory floor',
    });
    expect((await auditLog(t, a))[0]).toMatchObject({
      action: 'CustomCa.Upload',
      target: { kind: 'customCa', id: named.body.id },
      details: { fingerprintSha256: ca.info.fingerprintSha256 },
    });

    const unnamed = await uploadCustomCa(t, a, site.id, (await makeCa('Nameless CA')).certificatePem);
    expect(unnamed.name).toBe('Nameless CA');

    const got = await call(t.app, a.apiKey, 'GET', `${url()}/${named.body.id}`);
    expect(got.status).toBe(200);
    expect(got.body).toEqual(named.body);
    const listed = await call(t.app, a.apiKey, 'GET', url());
    expect(listed.body).toMatchObject({ totalCount: 2, pageNumber: 1, pageSize: 20 });
    expect(listed.body.items.map((c: { id: string }) => c.id)).toEqual([named.body.id, unnamed.id]);
    expect((await call(t.app, a.apiKey, 'GET', `${url()}?pageNumber=2&pageSize=1`)).body.items.map((c: { id: string }) => c.id)).toEqual([
      unnamed.id,
    ]);
    expectError(await call(t.app, a.apiKey, 'GET', `${url()}/ca_00000000000000000000`), 404, 'NotFound.CaCertificate');
  });

  it('refuses the same CA twice on a site (Conflict.CaCertificateExists) but takes it on another site', async () => {
    const b = await createAccount(t);
    const one = await createSite(t, b);
    const two = await createSite(t, b);
    const ca = await makeCa('Twice CA');
    await uploadCustomCa(t, b, one.id, ca.certificatePem);
    const s = await snapshot(t, b);
    expectError(await call(t.app, b.apiKey, 'POST', url(one), { certificate: ca.certificatePem }), 409, 'Conflict.CaCertificateExists');
    await s.expectUnchanged();
    await uploadCustomCa(t, b, two.id, ca.certificatePem);
  });

  it('counts the plan quota across the sites of an account: the 6th of 5 is QuotaExceeded.CaCertificate', async () => {
    const b = await createAccount(t);
    const one = await createSite(t, b);
    const two = await createSite(t, b);
    for (let i = 0; i < 5; i++) await uploadCustomCa(t, b, i % 2 === 0 ? one.id : two.id, (await makeCa(`Quota CA ${i}`)).certificatePem);
    const sixth = (await makeCa('Quota CA 6')).certificatePem;
    const s = await snapshot(t, b);
    const refused = await call(t.app, b.apiKey, 'POST', url(two), { certificate: sixth });
    expectError(refused, 409, 'QuotaExceeded.CaCertificate');
    expect(refused.body.details).toEqual({ quota: 5 });
    await s.expectUnchanged();
    // Deleting one frees a slot.
    const first = (await call(t.app, b.apiKey, 'GET', url(one))).body.items[0];
    expect((await call(t.app, b.apiKey, 'DELETE', `${url(one)}/${first.id}`)).status).toBe(204);
    await uploadCustomCa(t, b, two.id, sixth);
  });

  it('honours a smaller plan', async () => {
    const small = await createAccount(t, { plan: { customCaQuota: 1 } });
    const s1 = await createSite(t, small);
    await uploadCustomCa(t, small, s1.id, (await makeCa('Only CA')).certificatePem);
    expectError(
      await call(t.app, small.apiKey, 'POST', url(s1), { certificate: (await makeCa('One too many')).certificatePem }),
      409,
      'QuotaExceeded.CaCertificate',
    );
  });

  it('refuses what is not a currently valid CA, with the libs/pki code and status, and stores nothing', async () => {
    const good = await makeCa('Good CA');
    const leaf = await issueFrom(good, 'a leaf');
    const expired = await makeCa('Expired CA', { now: new Date(Date.now() - 10 * dayMs), validityDays: 1 });
    const future = await makeCa('Future CA', { now: new Date(Date.now() + 10 * dayMs) });
    const sha1 = dir.fresh('.pem');
    openssl([
      'req',
      '-x509',
      '-new',
      '-newkey',
      'rsa:2048',
      '-sha1',
      '-nodes',
      '-keyout',
      dir.fresh('.key'),
      '-out',
      sha1,
      '-days',
      '5',
      '-subj',
      '/CN=SHA-1 CA',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
    ]);
    const weak = dir.fresh('.pem');
    openssl([
      'req',
      '-x509',
      '-new',
      '-newkey',
      'rsa:1024',
      '-nodes',
      '-keyout',
      dir.fresh('.key'),
      '-out',
      weak,
      '-days',
      '5',
      '-subj',
      '/CN=Weak CA',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
    ]);
    const noSign = dir.fresh('.pem');
    openssl([
      'req',
      '-x509',
      '-new',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-keyout',
      dir.fresh('.key'),
      '-out',
      noSign,
      '-days',
      '5',
      '-subj',
      '/CN=No keyCertSign',
      '-addext',
      'keyUsage=critical,digitalSignature',
    ]);
    const body = good.certificatePem.split('\n').slice(1, -2).join('\n');
    const cases: [string, unknown, number, string][] = [
      ['a leaf certificate', { certificate: leaf.certificatePem }, 422, 'CaCertificate.NotCa'],
      ['an expired CA', { certificate: expired.certificatePem }, 422, 'CaCertificate.Expired'],
      ['a CA not valid yet', { certificate: future.certificatePem }, 422, 'CaCertificate.NotYetValid'],
      ['a SHA-1 signature', { certificate: fs.readFileSync(sha1, 'utf8') }, 422, 'CaCertificate.WeakSignature'],
      ['an RSA-1024 key', { certificate: fs.readFileSync(weak, 'utf8') }, 422, 'CaCertificate.WeakKey'],
      ['no keyCertSign', { certificate: fs.readFileSync(noSign, 'utf8') }, 422, 'CaCertificate.NoKeyCertSign'],
      ['a bundle of two', { certificate: good.certificatePem + expired.certificatePem }, 400, 'CaCertificate.MultipleCertificates'],
      [
        'malformed PEM',
        { certificate: `-----BEGIN CERTIFICATE-----\n${body.slice(0, 40)}\n-----END CERTIFICATE-----\n` },
        400,
        'CaCertificate.Malformed',
      ],
      ['no PEM at all', { certificate: 'MIIB is not a certificate' }, 400, 'CaCertificate.Malformed'],
      ['a private key', { certificate: good.privateKeyPem }, 400, 'CaCertificate.Malformed'],
      ['empty', { certificate: '' }, 400, 'CaCertificate.Empty'],
      ['too large for a CA', { certificate: `${good.certificatePem}${' '.repeat(20_000)}` }, 413, 'CaCertificate.TooLarge'],
      ['over the field limit', { certificate: 'A'.repeat(65_537) }, 400, 'InvalidParameter'],
      ['a name with a control character', { certificate: good.certificatePem, name: 'a\u0007b' }, 400, 'InvalidParameter.Name'],
      ['an empty name', { certificate: good.certificatePem, name: '' }, 400, 'InvalidParameter.Name'],
      ['a name too long', { certificate: good.certificatePem, name: 'n'.repeat(129) }, 400, 'InvalidParameter.Name'],
      ['no certificate', { name: 'x' }, 400, 'InvalidParameter'],
      ['a certificate as a number', { certificate: 42 }, 400, 'InvalidParameter'],
    ];
    const s = await snapshot(t, a);
    for (const [label, payload, status, code] of cases) {
      const answer = await call(t.app, a.apiKey, 'POST', url(), payload);
      expect({ label, status: answer.status, code: answer.body.code }).toEqual({ label, status, code });
    }
    await s.expectUnchanged();
  });
});

describe('custom CA revocation: CRLs and serials revoked by hand', () => {
  let t: TestApp;
  let a: TestAccount;
  let site: TestSite;
  let dir: TempDir;
  const url = () => `/v1/sites/${site.id}/client-ca-certificates`;

  beforeAll(async () => {
    t = await buildTestApp();
    a = await createAccount(t);
    site = await createSite(t, a);
    dir = new TempDir();
  });
  afterAll(async () => {
    await t?.close();
    dir?.remove();
  });

  it('takes the CA’s CRL (PEM or base64 DER) when signed by it and newer; refuses others', async () => {
    const ca = await makeCa('CRL CA');
    const uploaded = await uploadCustomCa(t, a, site.id, ca.certificatePem);
    const crlUrl = `${url()}/${uploaded.id}/crl`;
    expectError(await call(t.app, a.apiKey, 'GET', crlUrl), 404, 'NotFound.Crl');

    const opensslCa = new OpensslCa(dir, 'crl-ca', ca.certificatePem, ca.privateKeyPem);
    const leaves = [await issueFrom(ca, 'leaf-1'), await issueFrom(ca, 'leaf-2')];
    opensslCa.revoke(leaves[0]!.certificatePem);
    const older = opensslCa.crl();
    opensslCa.revoke(leaves[1]!.certificatePem);
    const newer = opensslCa.crl();

    const first = await call(t.app, a.apiKey, 'PUT', crlUrl, { crl: older });
    expect(first.status, JSON.stringify(first.body)).toBe(200);
    expect(first.body).toEqual({
      caId: uploaded.id,
      crlNumber: '4096',
      thisUpdate: expect.any(String),
      nextUpdate: expect.any(String),
      revokedCount: 1,
      uploadedAt: expect.any(String),
      crl: expect.stringContaining('-----BEGIN X509 CRL-----'),
    });
    const served = dir.write('served.crl', first.body.crl);
    expect(openssl(['crl', '-in', served, '-CAfile', dir.path('crl-ca.pem'), '-noout'])).toBe('');
    expect((await t.store.get('customCaCrl', uploaded.id))?.data.revokedSerials).toEqual([leaves[0]!.serialNumber]);

    const derBase64 = Buffer.from(newer.replace(/-----[^-]+-----|\s/g, ''), 'base64').toString('base64');
    const second = await call(t.app, a.apiKey, 'PUT', crlUrl, { crl: derBase64 });
    expect(second.status, JSON.stringify(second.body)).toBe(200);
    expect(second.body).toMatchObject({ crlNumber: '4097', revokedCount: 2 });
    const got = await call(t.app, a.apiKey, 'GET', crlUrl);
    expect(got.status).toBe(200);
    expect(got.body).toEqual(second.body);

    const s = await snapshot(t, a);
    expectError(await call(t.app, a.apiKey, 'PUT', crlUrl, { crl: older }), 409, 'Conflict.CrlNotNewer');
    expectError(await call(t.app, a.apiKey, 'PUT', crlUrl, { crl: newer }), 409, 'Conflict.CrlNotNewer');

    const other = await makeCa('Another CA');
    const otherCrl = new OpensslCa(dir, 'other-ca', other.certificatePem, other.privateKeyPem, 5000).crl();
    const foreign = await call(t.app, a.apiKey, 'PUT', crlUrl, { crl: otherCrl });
    expectError(foreign, 400, 'InvalidParameter');
    expect(foreign.body.details).toEqual({ reason: 'issuer_mismatch' });
    const twin = await makeCa('CRL CA');
    const twinCrl = new OpensslCa(dir, 'twin-ca', twin.certificatePem, twin.privateKeyPem, 9000).crl();
    const lookalike = await call(t.app, a.apiKey, 'PUT', crlUrl, { crl: twinCrl });
    expectError(lookalike, 400, 'InvalidParameter');
    expect(lookalike.body.details).toEqual({ reason: 'bad_signature' });
    expectError(await call(t.app, a.apiKey, 'PUT', crlUrl, { crl: 'not a CRL' }), 400, 'Crl.Malformed');
    expectError(await call(t.app, a.apiKey, 'PUT', crlUrl, { crl: ca.certificatePem }), 400, 'Crl.Malformed');
    expectError(await call(t.app, a.apiKey, 'PUT', crlUrl, { crl: '' }), 400, 'InvalidParameter');
    expectError(await call(t.app, a.apiKey, 'PUT', crlUrl, {}), 400, 'InvalidParameter');
    expectError(await call(t.app, a.apiKey, 'PUT', `${url()}/ca_00000000000000000000/crl`, { crl: newer }), 404, 'NotFound.CaCertificate');
    await s.expectUnchanged();
    expect((await auditLog(t, a))[0]).toMatchObject({ action: 'CustomCa.UploadCrl', details: { crlNumber: '4097', revoked: 2 } });
  });

  it('revokes serials by hand (normalised, idempotent), lists them, and takes them back', async () => {
    const ca = await uploadCustomCa(t, a, site.id, (await makeCa('Manual CA')).certificatePem);
    const revocations = `${url()}/${ca.id}/revocations`;
    const created = await call(t.app, a.apiKey, 'POST', revocations, { serialNumber: '0A:1B:2C', reason: 'laptop stolen' });
    expect(created.status).toBe(201);
    expect(created.body).toEqual({
      caId: ca.id,
      serialNumber: '0a1b2c',
      source: 'manual',
      reason: 'laptop stolen',
      revokedAt: expect.any(String),
    });
    expect((await t.store.get('revocation', `${ca.id}:0a1b2c`))?.data).toMatchObject({ source: 'manual', accountId: a.accountId });

    const s = await snapshot(t, a);
    const again = await call(t.app, a.apiKey, 'POST', revocations, { serialNumber: '0a1b2c' });
    expect(again.status).toBe(201);
    expect(again.body.revokedAt).toBe(created.body.revokedAt);
    await s.expectUnchanged();

    await call(t.app, a.apiKey, 'POST', revocations, { serialNumber: 'ff' });
    const listed = await call(t.app, a.apiKey, 'GET', revocations);
    expect(listed.status).toBe(200);
    expect(listed.body).toMatchObject({ totalCount: 2, items: [{ serialNumber: '0a1b2c' }, { serialNumber: 'ff' }] });
    expect((await call(t.app, a.apiKey, 'GET', `${revocations}?pageSize=1&pageNumber=2`)).body.items).toEqual([
      expect.objectContaining({ serialNumber: 'ff' }),
    ]);

    expect((await call(t.app, a.apiKey, 'DELETE', `${revocations}/0A:1B:2C`)).status).toBe(204);
    expect(await t.store.get('revocation', `${ca.id}:0a1b2c`)).toBeUndefined();
    expectError(await call(t.app, a.apiKey, 'DELETE', `${revocations}/0a1b2c`), 404, 'NotFound.Revocation');
    expect((await auditLog(t, a)).slice(0, 2).map((e) => e.action)).toEqual(['CustomCa.UnrevokeSerial', 'CustomCa.RevokeSerial']);

    const s2 = await snapshot(t, a);
    for (const serialNumber of ['xyz', '', ' ', '0x10', '1'.repeat(41), "1'; DEL *", '::']) {
      const answer = await call(t.app, a.apiKey, 'POST', revocations, { serialNumber });
      expect([answer.status, answer.body.code], serialNumber).toEqual([400, 'InvalidParameter.SerialNumber']);
    }
    expectError(await call(t.app, a.apiKey, 'DELETE', `${revocations}/zz`), 400, 'InvalidParameter.SerialNumber');
    expectError(await call(t.app, a.apiKey, 'POST', revocations, { serialNumber: '01', reason: 'r'.repeat(257) }), 400, 'InvalidParameter');
    await s2.expectUnchanged();
  });

  it('deletes a custom CA with its bindings, CRL and revocations in one write', async () => {
    const ca = await makeCa('Doomed CA');
    const uploaded = await uploadCustomCa(t, a, site.id, ca.certificatePem);
    const keep = await uploadCustomCa(t, a, site.id, (await makeCa('Kept CA')).certificatePem);
    const base = `${url()}/${uploaded.id}`;
    expect(
      (await call(t.app, a.apiKey, 'PUT', `${base}/crl`, { crl: new OpensslCa(dir, 'doomed', ca.certificatePem, ca.privateKeyPem).crl() }))
        .status,
    ).toBe(200);
    expect((await call(t.app, a.apiKey, 'POST', `${base}/revocations`, { serialNumber: '77' })).status).toBe(201);
    expect((await call(t.app, a.apiKey, 'POST', `${url()}/${keep.id}/revocations`, { serialNumber: '77' })).status).toBe(201);
    expect((await call(t.app, a.apiKey, 'PUT', `/v1/sites/${site.id}/ca-bindings/${uploaded.id}`, { hostnames: [site.name] })).status).toBe(
      200,
    );
    expect((await call(t.app, a.apiKey, 'PUT', `/v1/sites/${site.id}/ca-bindings/${keep.id}`, { hostnames: [site.name] })).status).toBe(
      200,
    );

    const revision = await t.store.revision();
    expect((await call(t.app, a.apiKey, 'DELETE', base)).status).toBe(204);
    expect(await t.store.revision()).toBe(revision + 1);
    expect(await t.store.get('customCa', uploaded.id)).toBeUndefined();
    expect(await t.store.get('customCaCrl', uploaded.id)).toBeUndefined();
    expect(await t.store.get('revocation', `${uploaded.id}:77`)).toBeUndefined();
    expect(await t.store.get('binding', `${site.id}:${uploaded.id}`)).toBeUndefined();
    expect(await t.store.get('revocation', `${keep.id}:77`)).toBeDefined();
    expect(await t.store.get('binding', `${site.id}:${keep.id}`)).toBeDefined();
    for (const [method, suffix] of [
      ['GET', ''],
      ['DELETE', ''],
      ['GET', '/crl'],
      ['GET', '/revocations'],
    ] as const) {
      expectError(await call(t.app, a.apiKey, method, `${base}${suffix}`), 404, 'NotFound.CaCertificate');
    }
    expectError(await call(t.app, a.apiKey, 'GET', `/v1/sites/${site.id}/ca-bindings/${uploaded.id}`), 404, 'NotFound.CaCertificate');
  });
});

describe('custom CA CRLs fail closed: no upload un-revokes what the CA revoked', () => {
  let t: TestApp;
  let a: TestAccount;
  let site: TestSite;
  let dir: TempDir;
  const url = () => `/v1/sites/${site.id}/client-ca-certificates`;

  beforeAll(async () => {
    t = await buildTestApp();
    // Each test uploads its own CA: more than the default plan's five.
    a = await createAccount(t, { plan: { customCaQuota: 20 } });
    site = await createSite(t, a);
    dir = new TempDir();
  });
  afterAll(async () => {
    await t?.close();
    dir?.remove();
  });

  /** A CRL (PEM) of `ca` valid for `days` days. */
  function gencrl(ca: OpensslCa, days: number): string {
    const out = dir.fresh('.crl');
    openssl(['ca', '-config', ca.config, '-gencrl', '-crldays', String(days), '-crlexts', 'crl_ext', '-out', out]);
    return fs.readFileSync(out, 'utf8');
  }

  /** Marks a serial valid again in `openssl ca`'s index, as an issuer dropping the entry would. */
  function unrevoke(name: string, serialNumber: string): void {
    const lines = dir.text(`${name}.index`).split('\n');
    const serialField = serialNumber.toUpperCase().padStart(2, '0');
    dir.write(
      `${name}.index`,
      lines
        .map((line) => {
          const [, expiry, , serial, file, subject] = line.split('\t');
          return serial?.replace(/^0+/, '') === serialField.replace(/^0+/, '') ? ['V', expiry, '', serial, file, subject].join('\t') : line;
        })
        .join('\n'),
    );
  }

  it('refuses an expired CRL (Crl.Expired) and one not valid yet (Crl.NotYetValid); the held CRL and its revocations stay', async () => {
    const ca = await makeCa('Expiry CA');
    const uploaded = await uploadCustomCa(t, a, site.id, ca.certificatePem);
    const crlUrl = `${url()}/${uploaded.id}/crl`;
    const leaf = await issueFrom(ca, 'revoked-leaf');
    const current = new OpensslCa(dir, 'expiry-ca', ca.certificatePem, ca.privateKeyPem);
    current.revoke(leaf.certificatePem);
    const held = await call(t.app, a.apiKey, 'PUT', crlUrl, { crl: gencrl(current, 30) });
    expect(held.status, JSON.stringify(held.body)).toBe(200);
    expect(held.body).toMatchObject({ crlNumber: '4096', revokedCount: 1 });

    // Ten days on, the held CRL (30 days) is still in force. A CRL with a higher number that
    // no longer lists the leaf, but whose 7 days are over, used to replace it.
    const later = await buildTestApp({ store: t.store, now: () => new Date(Date.now() + 10 * dayMs) });
    try {
      const stale = new OpensslCa(dir, 'expiry-ca-stale', ca.certificatePem, ca.privateKeyPem, 5000).crl();
      const s = await snapshot(t, a);
      const refused = await call(later.app, a.apiKey, 'PUT', crlUrl, { crl: stale });
      expectError(refused, 422, 'Crl.Expired');
      expect(refused.body.message).toContain('nextUpdate');
      await s.expectUnchanged();
      const got = await call(later.app, a.apiKey, 'GET', crlUrl);
      expect(got.body).toEqual(held.body);
      expect((await t.store.get('customCaCrl', uploaded.id))?.data.revokedSerials).toEqual([leaf.serialNumber]);
    } finally {
      await later.close();
    }

    const earlier = await buildTestApp({ store: t.store, now: () => new Date(Date.now() - dayMs) });
    try {
      const s = await snapshot(t, a);
      expectError(await call(earlier.app, a.apiKey, 'PUT', crlUrl, { crl: gencrl(current, 30) }), 422, 'Crl.NotYetValid');
      await s.expectUnchanged();
    } finally {
      await earlier.close();
    }
  });

  it('refuses a CRL whose nextUpdate has passed, and a higher-numbered one older than the held CRL (Conflict.CrlNotNewer)', async () => {
    const ca = await makeCa('Dated CA');
    const uploaded = await uploadCustomCa(t, a, site.id, ca.certificatePem);
    const crlUrl = `${url()}/${uploaded.id}/crl`;
    const issuer = new OpensslCa(dir, 'dated-ca', ca.certificatePem, ca.privateKeyPem);
    issuer.revoke((await issueFrom(ca, 'dated-leaf')).certificatePem);
    const asn1Time = (ms: number) => `${new Date(ms).toISOString().replace(/[-:T]|\.\d{3}/g, '')}`;
    /** A CRL with the next number and the given lastUpdate/nextUpdate (openssl ca -crl_lastupdate/-crl_nextupdate). */
    const dated = (lastUpdate: number, nextUpdate: number) => {
      const out = dir.fresh('.crl');
      openssl([
        'ca',
        '-config',
        issuer.config,
        '-gencrl',
        '-crl_lastupdate',
        asn1Time(lastUpdate),
        '-crl_nextupdate',
        asn1Time(nextUpdate),
        '-out',
        out,
      ]);
      return fs.readFileSync(out, 'utf8');
    };
    const now = Date.now();
    const s = await snapshot(t, a);
    expectError(await call(t.app, a.apiKey, 'PUT', crlUrl, { crl: dated(now - 8 * dayMs, now - dayMs) }), 422, 'Crl.Expired');
    await s.expectUnchanged();

    const held = await call(t.app, a.apiKey, 'PUT', crlUrl, { crl: dated(now - 60_000, now + 7 * dayMs) });
    expect(held.status, JSON.stringify(held.body)).toBe(200);
    expect(held.body.crlNumber).toBe('4097');
    // Number 4098, valid now, but issued before the held CRL: not the CA's latest word.
    const s2 = await snapshot(t, a);
    expectError(await call(t.app, a.apiKey, 'PUT', crlUrl, { crl: dated(now - 3_600_000, now + 7 * dayMs) }), 409, 'Conflict.CrlNotNewer');
    await s2.expectUnchanged();
    expect((await call(t.app, a.apiKey, 'PUT', crlUrl, { crl: dated(now, now + 7 * dayMs) })).body).toMatchObject({ crlNumber: '4099' });
  });

  it('refuses a negative CRL number (Crl.InvalidNumber), as a first CRL and over a held one', async () => {
    const ca = await makeCa('Negative CA');
    const uploaded = await uploadCustomCa(t, a, site.id, ca.certificatePem);
    const crlUrl = `${url()}/${uploaded.id}/crl`;
    const numbered = new OpensslCa(dir, 'negative-ca', ca.certificatePem, ca.privateKeyPem);
    // openssl ca refuses a negative crlnumber file but writes a cRLNumber given as DER:
    // -32768, which read as unsigned was 32768, "newer" than the CA's real CRLs.
    const config = dir.write(
      'negative-ca-raw.cnf',
      [
        ...dir
          .text('negative-ca.cnf')
          .split('\n')
          .filter((l) => !l.startsWith('crlnumber=')),
        '[negative]',
        '2.5.29.20=DER:02:02:80:00',
      ].join('\n'),
    );
    const negativeFile = dir.fresh('.crl');
    openssl(['ca', '-config', config, '-gencrl', '-crlexts', 'negative', '-out', negativeFile]);
    const negative = fs.readFileSync(negativeFile, 'utf8');
    expect(openssl(['crl', '-in', negativeFile, '-noout', '-crlnumber'])).toContain('-');

    const s = await snapshot(t, a);
    expectError(await call(t.app, a.apiKey, 'PUT', crlUrl, { crl: negative }), 422, 'Crl.InvalidNumber');
    await s.expectUnchanged();
    expectError(await call(t.app, a.apiKey, 'GET', crlUrl), 404, 'NotFound.Crl');

    numbered.revoke((await issueFrom(ca, 'leaf')).certificatePem);
    expect((await call(t.app, a.apiKey, 'PUT', crlUrl, { crl: numbered.crl() })).status).toBe(200);
    const s2 = await snapshot(t, a);
    expectError(await call(t.app, a.apiKey, 'PUT', crlUrl, { crl: negative }), 422, 'Crl.InvalidNumber');
    await s2.expectUnchanged();
    expect((await call(t.app, a.apiKey, 'GET', crlUrl)).body).toMatchObject({ crlNumber: '4096', revokedCount: 1 });
  });

  it('keeps a serial revoked for good when a newer CRL drops it, and lets a newer CRL release a hold', async () => {
    const ca = await makeCa('Hold CA');
    const uploaded = await uploadCustomCa(t, a, site.id, ca.certificatePem);
    const crlUrl = `${url()}/${uploaded.id}/crl`;
    const issuer = new OpensslCa(dir, 'hold-ca', ca.certificatePem, ca.privateKeyPem);
    const compromised = await issueFrom(ca, 'compromised');
    const held = await issueFrom(ca, 'on-hold');
    openssl([
      'ca',
      '-config',
      issuer.config,
      '-revoke',
      dir.write('compromised.pem', compromised.certificatePem),
      '-crl_reason',
      'keyCompromise',
    ]);
    openssl([
      'ca',
      '-config',
      issuer.config,
      '-revoke',
      dir.write('on-hold.pem', held.certificatePem),
      '-crl_hold',
      'holdInstructionReject',
    ]);
    const first = await call(t.app, a.apiKey, 'PUT', crlUrl, { crl: issuer.crl() });
    expect(first.status, JSON.stringify(first.body)).toBe(200);
    expect(first.body.revokedCount).toBe(2);

    // The issuer drops both entries: the hold is released; the compromised key is not forgiven.
    unrevoke('hold-ca', compromised.serialNumber);
    unrevoke('hold-ca', held.serialNumber);
    const second = await call(t.app, a.apiKey, 'PUT', crlUrl, { crl: issuer.crl() });
    expect(second.status, JSON.stringify(second.body)).toBe(200);
    expect(second.body).toMatchObject({ crlNumber: '4097', revokedCount: 1 });
    expect(openssl(['crl', '-in', dir.write('second.crl', second.body.crl), '-noout', '-text'])).toContain('No Revoked Certificates');
    expect((await t.store.get('customCaCrl', uploaded.id))?.data.revokedSerials).toEqual([compromised.serialNumber]);
  });

  it('takes a 200,000-entry CRL made by openssl ca -gencrl (about 9 MB of PEM), and its serials are revoked', async () => {
    const ca = await makeCa('Big CRL CA');
    const uploaded = await uploadCustomCa(t, a, site.id, ca.certificatePem);
    const crlUrl = `${url()}/${uploaded.id}/crl`;
    const revokedLeaf = await issueFrom(ca, 'in the big CRL');
    const validLeaf = await issueFrom(ca, 'not in it');
    const issuer = new OpensslCa(dir, 'big-ca', ca.certificatePem, ca.privateKeyPem);
    // openssl ca's database, written directly (issuing 200,000 certificates would take minutes):
    // 199,999 20-octet serials and the real leaf's, each revoked for keyCompromise.
    const count = 200_000;
    const serial = (i: number) => `5a${'c3'.repeat(15)}${i.toString(16).padStart(8, '0')}`;
    const lines = [`R\t300101000000Z\t251201000000Z,keyCompromise\t${revokedLeaf.serialNumber.toUpperCase()}\tunknown\t/CN=in the big CRL`];
    for (let i = 1; i < count; i++)
      lines.push(`R\t300101000000Z\t251201000000Z,keyCompromise\t${serial(i).toUpperCase()}\tunknown\t/CN=c${i}`);
    dir.write('big-ca.index', `${lines.join('\n')}\n`);
    const pem = issuer.crl();
    expect(pem.length).toBeGreaterThan(9_000_000);

    const started = performance.now();
    const answer = await call(t.app, a.apiKey, 'PUT', crlUrl, { crl: pem });
    const elapsed = performance.now() - started;
    expect(answer.status, JSON.stringify(answer.body).slice(0, 500)).toBe(200);
    expect(answer.body).toMatchObject({ crlNumber: '4096', revokedCount: count });
    // Seconds, not minutes, on a shared machine (about 2 s here); a backtracking regex overflowed the stack.
    expect(elapsed).toBeLessThan(30_000);
    const stored = (await t.store.get('customCaCrl', uploaded.id))!.data;
    expect(stored.revokedSerials).toHaveLength(count);
    expect(new Set(stored.revokedSerials).has(serial(count - 1))).toBe(true);

    // What an edge decides, through the rule tester: the CRL's leaf is revoked, the other is not.
    expect((await call(t.app, a.apiKey, 'PUT', `/v1/sites/${site.id}/ca-bindings/${uploaded.id}`, { hostnames: [site.name] })).status).toBe(
      200,
    );
    const facts = async (certificatePem: string) =>
      (
        await call(t.app, a.apiKey, 'POST', `/v1/sites/${site.id}/waf-rules/test`, {
          expression: 'ssl.client_cert.revoked',
          request: { host: site.name, certificatePem },
        })
      ).body.clientCert;
    expect(await facts(revokedLeaf.certificatePem)).toMatchObject({ chainVerified: true, revoked: true, error: 'revoked' });
    expect(await facts(validLeaf.certificatePem)).toMatchObject({ chainVerified: true, revoked: false, error: '' });
  }, 120_000);

  it('does not verify a CA certificate presented as a client certificate (not_client_certificate)', async () => {
    const ca = await makeCa('Parent CA');
    const uploaded = await uploadCustomCa(t, a, site.id, ca.certificatePem);
    expect(
      (await call(t.app, a.apiKey, 'PUT', `/v1/sites/${site.id}/ca-bindings/${uploaded.id}`, { hostnames: [`ca.${site.name}`] })).status,
    ).toBe(200);
    // A sub-CA the bound CA issued, keyUsage and EKU allowing client authentication: only CA:TRUE differs.
    dir.write('parent.pem', ca.certificatePem);
    dir.write('parent.key', ca.privateKeyPem);
    const issue = (name: string, basicConstraints: string) => {
      openssl([
        'req',
        '-new',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:P-256',
        '-nodes',
        '-keyout',
        dir.path(`${name}.key`),
        '-out',
        dir.path(`${name}.csr`),
        '-subj',
        `/CN=${name}`,
      ]);
      dir.write(
        `${name}.ext`,
        `[ext]\nbasicConstraints=critical,${basicConstraints}\nkeyUsage=critical,digitalSignature,keyCertSign\nextendedKeyUsage=clientAuth\n`,
      );
      openssl([
        'x509',
        '-req',
        '-in',
        dir.path(`${name}.csr`),
        '-CA',
        dir.path('parent.pem'),
        '-CAkey',
        dir.path('parent.key'),
        '-CAcreateserial',
        '-days',
        '5',
        '-extfile',
        dir.path(`${name}.ext`),
        '-extensions',
        'ext',
        '-out',
        dir.path(`${name}.pem`),
      ]);
      return dir.text(`${name}.pem`);
    };
    const answer = await call(t.app, a.apiKey, 'POST', `/v1/sites/${site.id}/waf-rules/test`, {
      expression: 'not ssl.client_cert.verified',
      request: { host: `ca.${site.name}`, certificatePem: issue('sub-ca', 'CA:TRUE') },
    });
    expect(answer.status, JSON.stringify(answer.body)).toBe(200);
    expect(answer.body.clientCert).toMatchObject({ presented: true, chainVerified: false, error: 'not_client_certificate' });
    expect(answer.body.decision).toMatchObject({ action: 'block', ruleId: 'test' });
  });
});

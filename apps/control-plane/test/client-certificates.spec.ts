import { X509Certificate } from 'node:crypto';
import fs from 'node:fs';
import { DatabaseSync } from 'node:sqlite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSqliteStore } from '../src/store/sqlite-store.ts';
import { TempDir, openssl, opensslCsr, opensslResult, publicKeyOf } from './support/openssl.ts';
import {
  auditLog,
  buildTestApp,
  call,
  createAccount,
  createClientCertificate,
  createSite,
  expectError,
  logText,
  snapshot,
  type TestAccount,
  type TestApp,
  type TestSite,
} from './support/test-app.ts';

const dayMs = 86_400_000;

describe('the account CA', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await buildTestApp();
  });
  afterAll(async () => t?.close());

  it('is created on first use, once, with its key sealed; the API never shows the key', async () => {
    const a = await createAccount(t);
    expect(await t.store.get('accountCa', a.accountId)).toBeUndefined();
    const first = await call(t.app, a.apiKey, 'GET', '/v1/account-ca');
    expect(first.status).toBe(200);
    expect(first.body).toMatchObject({
      id: a.accountId,
      certificate: expect.stringContaining('-----BEGIN CERTIFICATE-----'),
      commonName: `Portcullis client CA ${a.accountId}`,
      pubkeyAlgorithm: expect.stringMatching(/ec/i),
      serialNumber: expect.stringMatching(/^[0-9a-f]+$/),
    });
    expect(first.raw.body).not.toMatch(/PRIVATE KEY|privateKey|ciphertext/);
    const x509 = new X509Certificate(first.body.certificate);
    expect(x509.ca).toBe(true);
    const stored = await t.store.get('accountCa', a.accountId);
    expect(stored?.data.privateKey).toMatchObject({ v: 1, ciphertext: expect.any(String) });
    expect(JSON.stringify(stored)).not.toContain('PRIVATE KEY');

    const revision = await t.store.revision();
    const second = await call(t.app, a.apiKey, 'GET', '/v1/account-ca');
    expect(second.body).toEqual(first.body);
    expect(await t.store.revision()).toBe(revision);
    expect((await auditLog(t, a)).filter((e) => e.action === 'AccountCa.Create')).toHaveLength(1);
  });

  it('answers Internal (500) without details when its key cannot be opened (wrong master key), and logs the cause', async () => {
    const a = await createAccount(t);
    const site = await createSite(t, a);
    expect((await call(t.app, a.apiKey, 'GET', '/v1/account-ca')).status).toBe(200);
    const wrongKey = await buildTestApp({ store: t.store, captureLogs: true });
    try {
      const s = await snapshot(t, a);
      const answer = await call(wrongKey.app, a.apiKey, 'POST', `/v1/sites/${site.id}/client-certificates`, {});
      expectError(answer, 500, 'Internal');
      expect(answer.body.details).toBeUndefined();
      expect(answer.body.message).not.toMatch(/envelope|master|context/i);
      await s.expectUnchanged();
      expect(logText(wrongKey)).toContain('KeyManagerError');
      expect(logText(wrongKey)).toContain(answer.body.requestId);
    } finally {
      await wrongKey.close();
    }
  });
});

describe('client certificates', () => {
  let t: TestApp;
  let a: TestAccount;
  let site: TestSite;
  let dir: TempDir;
  let caFile: string;
  const url = () => `/v1/sites/${site.id}/client-certificates`;

  beforeAll(async () => {
    t = await buildTestApp();
    a = await createAccount(t);
    site = await createSite(t, a);
    dir = new TempDir();
    const ca = await call(t.app, a.apiKey, 'GET', '/v1/account-ca');
    caFile = dir.write('account-ca.pem', ca.body.certificate);
  });
  afterAll(async () => {
    await t?.close();
    dir?.remove();
  });

  function verify(certificatePem: string): void {
    const leaf = dir.fresh('.pem');
    fs.writeFileSync(leaf, certificatePem);
    const result = opensslResult(['verify', '-CAfile', caFile, '-purpose', 'sslclient', leaf]);
    expect(result.stdout + result.stderr).toContain(': OK');
    expect(result.status).toBe(0);
  }

  it('issues with a system ECC key by default: certificate, key once, facts, 365 days; openssl verifies it', async () => {
    const revision = await t.store.revision();
    const answer = await call(t.app, a.apiKey, 'POST', url(), {});
    expect(answer.status).toBe(201);
    const { certificate, privateKey } = answer.body;
    expect(Object.keys(answer.body).sort()).toEqual(['certificate', 'privateKey']);
    expect(privateKey).toMatch(/^-----BEGIN PRIVATE KEY-----/);
    expect(certificate).toMatchObject({
      id: expect.stringMatching(/^cc_[0-9a-f]{20}$/),
      siteId: site.id,
      caId: a.accountId,
      status: 'active',
      validityDays: 365,
      keySource: 'system',
      commonName: certificate.id,
      pubkeyAlgorithm: expect.stringMatching(/ec/i),
      serialNumber: expect.stringMatching(/^[0-9a-f]+$/),
      fingerprintSha256: expect.any(String),
    });
    expect(certificate.revokedAt).toBeUndefined();
    const days = (Date.parse(certificate.notAfter) - Date.parse(certificate.notBefore)) / dayMs;
    expect(days).toBeGreaterThan(364.9);
    expect(days).toBeLessThan(365.1);
    verify(certificate.certificate);
    const keyFile = dir.write('ecc.key', privateKey);
    const certFile = dir.write('ecc.pem', certificate.certificate);
    expect(publicKeyOf('pkey', keyFile)).toBe(publicKeyOf('x509', certFile));
    expect(await t.store.revision()).toBe(revision + 1);
    const stored = await t.store.get('clientCertificate', certificate.id);
    expect(stored?.data).toMatchObject({ id: certificate.id, accountId: a.accountId, keySource: 'system', status: 'active' });
    expect((await auditLog(t, a))[0]).toMatchObject({
      action: 'ClientCertificate.Create',
      details: { serialNumber: certificate.serialNumber, keySource: 'system', validityDays: 365 },
    });
  });

  it('issues with a system RSA key and a chosen validity and common name; openssl verifies it', async () => {
    const answer = await createClientCertificate(t, a, site.id, { pkeyType: 'RSA', validityDays: 30, commonName: 'build-agent-7' });
    expect(answer.certificate).toMatchObject({
      validityDays: 30,
      commonName: 'build-agent-7',
      pubkeyAlgorithm: expect.stringMatching(/rsa/i),
    });
    expect(answer.privateKey).toMatch(/^-----BEGIN PRIVATE KEY-----/);
    expect(openssl(['x509', '-noout', '-text'], answer.certificate.certificate)).toMatch(/Public-Key: \(2048 bit\)/);
    const days = (Date.parse(answer.certificate.notAfter) - Date.parse(answer.certificate.notBefore)) / dayMs;
    expect(Math.round(days)).toBe(30);
    verify(answer.certificate.certificate);
  });

  it('issues from an openssl CSR: the certificate carries the CSR key, no key is returned, openssl verifies it', async () => {
    const csr = opensslCsr(dir, '/CN=device-42/O=Example');
    const answer = await call(t.app, a.apiKey, 'POST', url(), { csr: csr.csrPem, validityDays: 90 });
    expect(answer.status, JSON.stringify(answer.body)).toBe(201);
    expect(answer.body.privateKey).toBeUndefined();
    expect(answer.body.certificate).toMatchObject({ keySource: 'csr', commonName: 'device-42', validityDays: 90 });
    const certFile = dir.write('csr-leaf.pem', answer.body.certificate.certificate);
    expect(publicKeyOf('x509', certFile)).toBe(publicKeyOf('req', csr.csrFile));
    expect(publicKeyOf('x509', certFile)).toBe(publicKeyOf('pkey', csr.keyFile));
    verify(answer.body.certificate.certificate);
    const overridden = await createClientCertificate(t, a, site.id, { csr: csr.csrPem, commonName: 'renamed' });
    expect(overridden.certificate.commonName).toBe('renamed');
  });

  it('returns a PKCS#12 that openssl opens with the password, holding certificate, key and CA', async () => {
    const password = 'correct horse battery';
    const answer = await createClientCertificate(t, a, site.id, { pkcs12Password: password });
    expect(answer.pkcs12).toMatch(/^[A-Za-z0-9+/]+=*$/);
    const p12 = dir.fresh('.p12');
    fs.writeFileSync(p12, Buffer.from(answer.pkcs12, 'base64'));
    const info = openssl(['pkcs12', '-in', p12, '-info', '-nodes', '-passin', `pass:${password}`]);
    expect(info).toContain('-----BEGIN PRIVATE KEY-----');
    expect(info.match(/-----BEGIN CERTIFICATE-----/g)).toHaveLength(2);
    const leafInP12 = openssl(['pkcs12', '-in', p12, '-clcerts', '-nokeys', '-passin', `pass:${password}`]);
    expect(new X509Certificate(leafInP12).fingerprint256).toBe(new X509Certificate(answer.certificate.certificate).fingerprint256);
    const keyInP12 = openssl(['pkcs12', '-in', p12, '-nocerts', '-nodes', '-passin', `pass:${password}`]);
    expect(publicKeyOf('pkey', dir.write('p12.key', keyInP12))).toBe(publicKeyOf('pkey', dir.write('resp.key', answer.privateKey)));
    expect(opensslResult(['pkcs12', '-in', p12, '-info', '-nodes', '-passin', 'pass:wrong password']).status).not.toBe(0);
  });

  it('gets and lists without any key, paged', async () => {
    const created = await createClientCertificate(t, a, site.id);
    const got = await call(t.app, a.apiKey, 'GET', `${url()}/${created.certificate.id}`);
    expect(got.status).toBe(200);
    expect(got.body).toEqual(created.certificate);
    expect(got.raw.body).not.toContain('PRIVATE KEY');

    const all = await call(t.app, a.apiKey, 'GET', `${url()}?pageSize=100`);
    expect(all.status).toBe(200);
    expect(all.body.totalCount).toBe(all.body.items.length);
    expect(all.body.items.at(-1)).toEqual(created.certificate);
    expect(all.raw.body).not.toContain('PRIVATE KEY');
    const last = await call(t.app, a.apiKey, 'GET', `${url()}?pageSize=1&pageNumber=${all.body.totalCount}`);
    expect(last.body).toMatchObject({ pageNumber: all.body.totalCount, pageSize: 1, items: [{ id: created.certificate.id }] });
    expectError(await call(t.app, a.apiKey, 'GET', `${url()}/cc_00000000000000000000`), 404, 'NotFound.ClientCertificate');
  });

  it('revokes only with confirm: true, activates again, and refuses a change to the same status', async () => {
    const { certificate } = await createClientCertificate(t, a, site.id);
    const one = `${url()}/${certificate.id}`;
    const s = await snapshot(t, a);
    expectError(await call(t.app, a.apiKey, 'POST', `${one}/revoke`, { confirm: false }), 400, 'InvalidParameter.Confirmation');
    expectError(await call(t.app, a.apiKey, 'POST', `${one}/revoke`, {}), 400, 'InvalidParameter.Confirmation');
    expectError(await call(t.app, a.apiKey, 'POST', `${one}/revoke`), 400, 'InvalidParameter');
    expectError(await call(t.app, a.apiKey, 'POST', `${one}/revoke`, { confirm: 'true' }), 400, 'InvalidParameter.Confirmation');
    expectError(await call(t.app, a.apiKey, 'POST', `${one}/revoke`, { confirm: 1 }), 400, 'InvalidParameter.Confirmation');
    expectError(await call(t.app, a.apiKey, 'POST', `${one}/activate`), 409, 'Conflict.Status');
    await s.expectUnchanged();

    const revoked = await call(t.app, a.apiKey, 'POST', `${one}/revoke`, { confirm: true });
    expect(revoked.status).toBe(200);
    expect(revoked.body).toMatchObject({ id: certificate.id, status: 'revoked', revokedAt: expect.any(String) });
    expect((await t.store.get('clientCertificate', certificate.id))?.data.status).toBe('revoked');
    expectError(await call(t.app, a.apiKey, 'POST', `${one}/revoke`, { confirm: true }), 409, 'Conflict.Status');

    const activated = await call(t.app, a.apiKey, 'POST', `${one}/activate`);
    expect(activated.status).toBe(200);
    expect(activated.body.status).toBe('active');
    expect(activated.body.revokedAt).toBeUndefined();
    expect((await t.store.get('clientCertificate', certificate.id))?.data).not.toHaveProperty('revokedAt');
    expect((await auditLog(t, a)).slice(0, 2).map((e) => e.action)).toEqual(['ClientCertificate.Activate', 'ClientCertificate.Revoke']);
  });

  it('deletes a certificate and keeps its serial revoked', async () => {
    const { certificate } = await createClientCertificate(t, a, site.id);
    const deleted = await call(t.app, a.apiKey, 'DELETE', `${url()}/${certificate.id}`);
    expect(deleted.status).toBe(204);
    expect(await t.store.get('clientCertificate', certificate.id)).toBeUndefined();
    const revocation = await t.store.get('revocation', `${a.accountId}:${certificate.serialNumber}`);
    expect(revocation?.data).toMatchObject({ caId: a.accountId, serialNumber: certificate.serialNumber, source: 'deleted-certificate' });
    for (const [method, suffix, body] of [
      ['GET', '', undefined],
      ['DELETE', '', undefined],
      ['POST', '/revoke', { confirm: true }],
      ['POST', '/activate', undefined],
    ] as const) {
      expectError(await call(t.app, a.apiKey, method, `${url()}/${certificate.id}${suffix}`, body), 404, 'NotFound.ClientCertificate');
    }
  });

  it('refuses bad requests with their codes and issues nothing', async () => {
    const csr = opensslCsr(dir);
    // The last byte is inside the signature's s value: still well-formed, no longer valid.
    const der = Buffer.from(csr.csrPem.replace(/-----[^-]+-----|\s/g, ''), 'base64');
    der[der.length - 1]! ^= 0x01;
    const tampered = `-----BEGIN CERTIFICATE REQUEST-----\n${der.toString('base64')}\n-----END CERTIFICATE REQUEST-----\n`;
    const cases: [string, unknown, number, string][] = [
      ['CSR and key type', { csr: csr.csrPem, pkeyType: 'ECC' }, 400, 'InvalidParameter.KeyOrCsr'],
      ['PKCS#12 with a CSR', { csr: csr.csrPem, pkcs12Password: 'long enough' }, 400, 'InvalidParameter.Pkcs12Password'],
      ['PKCS#12 password too short', { pkcs12Password: 'short' }, 400, 'InvalidParameter.Pkcs12Password'],
      ['PKCS#12 password with a NUL', { pkcs12Password: 'password\u0000x' }, 400, 'Pkcs12.InvalidPassword'],
      ['validity 0', { validityDays: 0 }, 400, 'InvalidParameter.ValidityDays'],
      ['validity 3651', { validityDays: 3651 }, 400, 'InvalidParameter.ValidityDays'],
      ['validity 1.5', { validityDays: 1.5 }, 400, 'InvalidParameter.ValidityDays'],
      ['validity as text', { validityDays: '30' }, 400, 'InvalidParameter.ValidityDays'],
      ['validity true', { validityDays: true }, 400, 'InvalidParameter.ValidityDays'],
      ['key type DSA', { pkeyType: 'DSA' }, 400, 'InvalidParameter.PkeyType'],
      ['key type lower case', { pkeyType: 'ecc' }, 400, 'InvalidParameter.PkeyType'],
      ['garbage CSR', { csr: 'hello' }, 400, 'Csr.Malformed'],
      ['truncated CSR', { csr: csr.csrPem.slice(0, 200) }, 400, 'Csr.Malformed'],
      ['CSR with a broken signature', { csr: tampered }, 422, 'Csr.BadSignature'],
      ['a certificate instead of a CSR', { csr: fs.readFileSync(caFile, 'utf8') }, 400, 'Csr.Malformed'],
      ['common name too long', { commonName: 'x'.repeat(65) }, 400, 'InvalidParameter'],
      ['common name with control characters', { commonName: 'a\u0000b' }, 422, 'Subject.InvalidCommonName'],
      ['unknown field', { validityDays: 30, privateKey: 'mine' }, 400, 'InvalidParameter'],
    ];
    const s = await snapshot(t, a);
    for (const [label, body, status, code] of cases) {
      const answer = await call(t.app, a.apiKey, 'POST', url(), body);
      expect({ label, status: answer.status, code: answer.body.code }).toEqual({ label, status, code });
    }
    await s.expectUnchanged();
    expectError(await call(t.app, a.apiKey, 'POST', '/v1/sites/site_00000000000000000000/client-certificates', {}), 404, 'NotFound.Site');

    // On an account whose CA does not exist yet, a bad CSR does not create it either.
    const fresh = await createAccount(t);
    const freshSite = await createSite(t, fresh);
    const s2 = await snapshot(t, fresh);
    for (const [csrPem, code] of [
      ['hello', 'Csr.Malformed'],
      [tampered, 'Csr.BadSignature'],
    ] as const) {
      const answer = await call(t.app, fresh.apiKey, 'POST', `/v1/sites/${freshSite.id}/client-certificates`, { csr: csrPem });
      expect(answer.body.code).toBe(code);
    }
    await s2.expectUnchanged();
    expect(await t.store.get('accountCa', fresh.accountId)).toBeUndefined();
  });
});

describe('private keys and API key secrets never stay anywhere', () => {
  let dir: TempDir;
  beforeAll(() => {
    dir = new TempDir();
  });
  afterAll(() => dir?.remove());

  it('are only in the create answers: not in reads, not in any stored document, not in the logs', async () => {
    const file = dir.path('leak.db');
    const store = createSqliteStore({ path: file });
    const t = await buildTestApp({ store, captureLogs: true });
    try {
      const admin = await call(t.app, t.adminToken, 'POST', '/v1/accounts', { name: 'Leak check' });
      const a: TestAccount = { accountId: admin.body.account.id, keyId: admin.body.apiKey.key.id, apiKey: admin.body.apiKey.secret };
      const extraKey = (await call(t.app, a.apiKey, 'POST', `/v1/accounts/${a.accountId}/api-keys`, { name: 'second' })).body
        .secret as string;
      const site = await createSite(t, a);
      const privateKeys: string[] = [];
      for (const body of [{}, { pkeyType: 'RSA' }, { pkeyType: 'ECC', pkcs12Password: 'a good password' }]) {
        const created = await createClientCertificate(t, a, site.id, body);
        privateKeys.push(created.privateKey);
        await call(t.app, a.apiKey, 'GET', `/v1/sites/${site.id}/client-certificates/${created.certificate.id}`);
      }
      // An RPC create too, sent as a query string: the secret must not reach the logs via the URL either.
      const rpcCreated = await call(t.app, a.apiKey, 'POST', `/?Action=CreateClientCertificate&SiteId=${site.id}&PkeyType=ECC`);
      expect(rpcCreated.status).toBe(200);
      privateKeys.push(rpcCreated.body.PrivateKey);

      const reads = [
        await call(t.app, a.apiKey, 'GET', `/v1/sites/${site.id}/client-certificates?pageSize=100`),
        await call(t.app, a.apiKey, 'GET', '/v1/account-ca'),
        await call(t.app, a.apiKey, 'GET', '/v1/audit-log?pageSize=100'),
        await call(t.app, a.apiKey, 'GET', `/v1/accounts/${a.accountId}/api-keys`),
        await call(t.app, a.apiKey, 'POST', `/?Action=ListClientCertificates&SiteId=${site.id}`),
      ];
      for (const read of reads) {
        expect(read.status).toBe(200);
        expect(read.raw.body).not.toContain('PRIVATE KEY');
      }

      const db = new DatabaseSync(file, { readOnly: true });
      const docs = db.prepare('SELECT kind, id, data FROM docs').all() as { kind: string; id: string; data: string }[];
      const changes = db.prepare('SELECT record FROM changes').all() as { record: string }[];
      db.close();
      expect(docs.length).toBeGreaterThan(10);
      const secrets = [a.apiKey, extraKey].map((k) => k.slice(-43));
      const keyBodies = privateKeys.map((k) => k.split('\n')[1]!);
      for (const doc of [...docs.map((d) => d.data), ...changes.map((c) => c.record)]) {
        expect(doc).not.toContain('PRIVATE KEY');
        for (const secret of [...secrets, ...keyBodies]) expect(doc).not.toContain(secret);
      }

      const logs = logText(t);
      expect(logs).toContain('"url":"/v1/accounts"');
      for (const secret of [...secrets, ...keyBodies, t.adminToken]) expect(logs).not.toContain(secret);
      expect(logs).not.toContain('PRIVATE KEY');
    } finally {
      await t.close();
      await store.close();
    }
  });
});

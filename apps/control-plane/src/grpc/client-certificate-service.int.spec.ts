import { X509Certificate, createPrivateKey, createPublicKey } from 'node:crypto';
import { readFileSync, existsSync } from 'node:fs';
import { status } from '@grpc/grpc-js';
import { adminV1 } from '@portcullis/proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectFailure, startAdminFixture, type AdminFixture, type DeepPartial } from './test/admin-fixture.ts';
import { TempDir, openssl, opensslCsr } from './test/test-pki.ts';

describe('ClientCertificateService over gRPC', () => {
  let f: AdminFixture;
  let dir: TempDir;
  let a: { accountId: string; apiKey: string };
  let b: { accountId: string; apiKey: string };
  let site: adminV1.Site;
  let accountCaFile: string;
  beforeAll(async () => {
    f = await startAdminFixture();
    dir = new TempDir();
    a = await f.newAccount();
    b = await f.newAccount();
    site = await f.newSite(a.apiKey);
    accountCaFile = dir.write('account-ca.pem', (await f.api.sites.getAccountCa({}, a.apiKey)).response.certificate);
  });
  afterAll(async () => {
    await f.close();
    dir.remove();
  });

  const create = (request: DeepPartial<adminV1.CreateClientCertificateRequest>, key = a.apiKey) =>
    f.api.clientCertificates.createClientCertificate({ siteId: site.id, ...request }, key);

  it('issues a certificate with a generated ECC key by default; the key is in the create response only', async () => {
    const { response } = await create({});
    const cert = response.clientCertificate!;
    expect(cert).toMatchObject({
      siteId: site.id,
      status: 'active',
      validityDays: 365,
      keySource: 'system',
      caCertificateId: a.accountId,
      revokedAt: '',
    });
    expect(cert.facts!.commonName).toBe(cert.id);
    const x509 = new X509Certificate(cert.certificate);
    expect(x509.publicKey.asymmetricKeyType).toBe('ec');
    expect(response.privateKey).toMatch(/^-----BEGIN PRIVATE KEY-----/);
    expect(createPublicKey(createPrivateKey(response.privateKey)).export({ type: 'spki', format: 'der' })).toEqual(
      x509.publicKey.export({ type: 'spki', format: 'der' }),
    );
    expect(response.pkcs12.length).toBe(0);
    expect(openssl(['verify', '-CAfile', accountCaFile], cert.certificate)).toContain('OK');

    // Never again: not from Get or List, not in the store.
    const keyChunk = createPrivateKey(response.privateKey).export({ type: 'pkcs8', format: 'pem' }).toString().split('\n')[1]!;
    const got = (await f.api.clientCertificates.getClientCertificate({ siteId: site.id, id: cert.id }, a.apiKey)).response;
    const listed = (await f.api.clientCertificates.listClientCertificates({ siteId: site.id, page: { pageSize: 100 } }, a.apiKey)).response;
    expect(got.clientCertificate).toEqual(cert);
    expect(JSON.stringify([got, listed])).not.toContain(keyChunk);
    const stored = Buffer.concat([f.databaseFile, `${f.databaseFile}-wal`].filter(existsSync).map((file) => readFileSync(file)));
    expect(stored.includes(cert.certificate.split('\n')[1]!), 'the scan sees what is stored').toBe(true);
    expect(stored.includes(keyChunk)).toBe(false);
  });

  it('issues with a generated RSA key and a chosen common name and validity', async () => {
    const { response } = await create({ pkeyType: adminV1.PkeyType.PKEY_TYPE_RSA, commonName: 'kiosk-7', validityDays: 30 });
    const x509 = new X509Certificate(response.clientCertificate!.certificate);
    expect(x509.publicKey.asymmetricKeyType).toBe('rsa');
    expect(response.clientCertificate).toMatchObject({ validityDays: 30, facts: { commonName: 'kiosk-7' } });
    expect(Date.parse(x509.validTo) - Date.parse(x509.validFrom)).toBeLessThanOrEqual(31 * 86_400_000);
    expect(response.privateKey).toContain('PRIVATE KEY');
  });

  it('adds a PKCS#12 bundle when a password is given, readable by openssl', async () => {
    const { response } = await create({ pkeyType: adminV1.PkeyType.PKEY_TYPE_ECC, pkcs12Password: 'correct horse battery' });
    expect(response.pkcs12.length).toBeGreaterThan(0);
    const file = dir.write('bundle.p12', response.pkcs12);
    const out = openssl(['pkcs12', '-in', file, '-passin', 'pass:correct horse battery', '-nodes']);
    expect(out).toContain(response.clientCertificate!.certificate.split('\n')[1]);
    expect(out).toContain('BEGIN PRIVATE KEY');
  });

  it('signs a CSR made with openssl req: the user keeps the key, openssl verifies the result', async () => {
    const csr = opensslCsr(dir, 'device', '/CN=device-1/O=Example');
    const { response } = await create({ csr: csr.csrPem, validityDays: 90 });
    const cert = response.clientCertificate!;
    expect(cert).toMatchObject({ keySource: 'csr', validityDays: 90, facts: { commonName: 'device-1' } });
    expect(response.privateKey).toBe('');
    expect(response.pkcs12.length).toBe(0);
    const certFile = dir.write('device.pem', cert.certificate);
    expect(openssl(['verify', '-CAfile', accountCaFile, certFile])).toContain(`${certFile}: OK`);
    expect(openssl(['x509', '-in', certFile, '-noout', '-pubkey'])).toBe(openssl(['pkey', '-in', dir.path('device.key'), '-pubout']));
    expect(openssl(['x509', '-in', certFile, '-noout', '-purpose'])).toMatch(/SSL client : Yes/);
  });

  it('refuses bad create input with the catalogue codes', async () => {
    const csr = opensslCsr(dir, 'other', '/CN=other').csrPem;
    await expectFailure(create({ validityDays: 3651 }), status.INVALID_ARGUMENT, 'InvalidParameter.ValidityDays');
    await expectFailure(create({ csr, pkeyType: adminV1.PkeyType.PKEY_TYPE_RSA }), status.INVALID_ARGUMENT, 'InvalidParameter.KeyOrCsr');
    await expectFailure(create({ pkeyType: 7 as adminV1.PkeyType }), status.INVALID_ARGUMENT, 'InvalidParameter.PkeyType');
    await expectFailure(create({ pkcs12Password: 'short' }), status.INVALID_ARGUMENT, 'InvalidParameter.Pkcs12Password');
    await expectFailure(create({ pkcs12Password: 'x'.repeat(129) }), status.INVALID_ARGUMENT, 'InvalidParameter.Pkcs12Password');
    await expectFailure(
      create({ csr, pkcs12Password: 'long enough password' }),
      status.INVALID_ARGUMENT,
      'InvalidParameter.Pkcs12Password',
    );
    await expectFailure(create({ csr: 'not a csr' }), status.INVALID_ARGUMENT, 'Csr.Malformed');
    await expectFailure(create({ csr: 'x'.repeat(16_385) }), status.INVALID_ARGUMENT, 'InvalidParameter');
    await expectFailure(create({ commonName: 'x'.repeat(65) }), status.INVALID_ARGUMENT, 'InvalidParameter');
    await expectFailure(create({}, b.apiKey), status.NOT_FOUND, 'NotFound.Site');
    await expectFailure(create({}, f.adminToken), status.PERMISSION_DENIED, 'Auth.AccountOnly');
    await expectFailure(create({ siteId: '' }), status.INVALID_ARGUMENT, 'InvalidParameter');
  });

  it('revokes only with confirmation, activates again, and refuses a status it already has', async () => {
    const id = (await create({})).response.clientCertificate!.id;
    const ref = { siteId: site.id, id };
    await expectFailure(
      f.api.clientCertificates.revokeClientCertificate(ref, a.apiKey),
      status.INVALID_ARGUMENT,
      'InvalidParameter.Confirmation',
    );
    await expectFailure(
      f.api.clientCertificates.revokeClientCertificate({ ...ref, confirm: true }, b.apiKey),
      status.NOT_FOUND,
      'NotFound.Site',
    );
    const revoked = (await f.api.clientCertificates.revokeClientCertificate({ ...ref, confirm: true }, a.apiKey)).response
      .clientCertificate!;
    expect(revoked.status).toBe('revoked');
    expect(revoked.revokedAt).not.toBe('');
    await expectFailure(
      f.api.clientCertificates.revokeClientCertificate({ ...ref, confirm: true }, a.apiKey),
      status.FAILED_PRECONDITION,
      'Conflict.Status',
    );
    const active = (await f.api.clientCertificates.activateClientCertificate(ref, a.apiKey)).response.clientCertificate!;
    expect(active).toMatchObject({ status: 'active', revokedAt: '' });
    await expectFailure(f.api.clientCertificates.activateClientCertificate(ref, a.apiKey), status.FAILED_PRECONDITION, 'Conflict.Status');
  });

  it('gets, lists in pages and deletes; another account sees none of it', async () => {
    const other = await f.newSite(a.apiKey);
    const ids: string[] = [];
    for (let i = 0; i < 3; i++) {
      ids.push((await f.api.clientCertificates.createClientCertificate({ siteId: other.id }, a.apiKey)).response.clientCertificate!.id);
    }
    const page = (
      await f.api.clientCertificates.listClientCertificates({ siteId: other.id, page: { pageNumber: 2, pageSize: 2 } }, a.apiKey)
    ).response;
    expect(page.page).toEqual({ totalCount: 3, pageNumber: 2, pageSize: 2 });
    expect(page.clientCertificates.map((c) => c.id)).toEqual([ids[2]]);
    await expectFailure(f.api.clientCertificates.listClientCertificates({ siteId: other.id }, b.apiKey), status.NOT_FOUND, 'NotFound.Site');
    await expectFailure(
      f.api.clientCertificates.listClientCertificates({ siteId: other.id, page: { pageSize: 101 } }, a.apiKey),
      status.INVALID_ARGUMENT,
      'InvalidParameter.Paging',
    );

    await expectFailure(
      f.api.clientCertificates.getClientCertificate({ siteId: other.id, id: ids[0] }, b.apiKey),
      status.NOT_FOUND,
      'NotFound.Site',
    );
    await expectFailure(
      f.api.clientCertificates.getClientCertificate({ siteId: site.id, id: ids[0] }, a.apiKey),
      status.NOT_FOUND,
      'NotFound.ClientCertificate',
    );
    await expectFailure(
      f.api.clientCertificates.deleteClientCertificate({ siteId: other.id, id: ids[0] }, b.apiKey),
      status.NOT_FOUND,
      'NotFound.Site',
    );
    expect((await f.api.clientCertificates.deleteClientCertificate({ siteId: other.id, id: ids[0] }, a.apiKey)).response).toEqual({});
    await expectFailure(
      f.api.clientCertificates.getClientCertificate({ siteId: other.id, id: ids[0] }, a.apiKey),
      status.NOT_FOUND,
      'NotFound.ClientCertificate',
    );
    await expectFailure(
      f.api.clientCertificates.deleteClientCertificate({ siteId: other.id, id: ids[0] }, a.apiKey),
      status.NOT_FOUND,
      'NotFound.ClientCertificate',
    );
  });
});

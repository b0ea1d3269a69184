import { X509Certificate } from 'node:crypto';
import { status } from '@grpc/grpc-js';
import type { adminV1 } from '@portcullis/proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectFailure, startAdminFixture, type AdminFixture } from './test/admin-fixture.ts';
import { TempDir, TestCa, openssl } from './test/test-pki.ts';

describe('CustomCaService over gRPC', () => {
  let f: AdminFixture;
  let dir: TempDir;
  let a: { accountId: string; apiKey: string };
  let b: { accountId: string; apiKey: string };
  beforeAll(async () => {
    f = await startAdminFixture();
    dir = new TempDir();
    a = await f.newAccount();
    b = await f.newAccount();
  });
  afterAll(async () => {
    await f.close();
    dir.remove();
  });

  async function uploaded(site: adminV1.Site, name: string): Promise<{ ca: TestCa; id: string }> {
    const ca = await TestCa.create(dir, name);
    const { response } = await f.api.customCas.uploadClientCaCertificate({ siteId: site.id, certificate: ca.certificatePem }, a.apiKey);
    return { ca, id: response.caCertificate!.id };
  }

  it('uploads a CA, gets and lists it, and deletes it with its bindings', async () => {
    const site = await f.newSite(a.apiKey);
    const ca = await TestCa.create(dir, 'upload');
    const { response } = await f.api.customCas.uploadClientCaCertificate(
      { siteId: site.id, certificate: ca.certificatePem, name: 'Partner devices' },
      a.apiKey,
    );
    const uploadedCa = response.caCertificate!;
    expect(uploadedCa).toMatchObject({
      siteId: site.id,
      name: 'Partner devices',
      facts: { commonName: 'upload CA', subjectDn: 'CN=upload CA,O=Example' },
    });
    expect(uploadedCa.facts!.fingerprintSha256).toBe(
      new X509Certificate(ca.certificatePem).fingerprint256.replaceAll(':', '').toLowerCase(),
    );
    const ref = { siteId: site.id, id: uploadedCa.id };
    expect((await f.api.customCas.getClientCaCertificate(ref, a.apiKey)).response.caCertificate).toEqual(uploadedCa);
    const listed = (await f.api.customCas.listClientCaCertificates({ siteId: site.id }, a.apiKey)).response;
    expect(listed).toEqual({ page: { totalCount: 1, pageNumber: 1, pageSize: 20 }, caCertificates: [uploadedCa] });
    await expectFailure(f.api.customCas.getClientCaCertificate(ref, b.apiKey), status.NOT_FOUND, 'NotFound.Site');
    await expectFailure(f.api.customCas.listClientCaCertificates({ siteId: site.id }, b.apiKey), status.NOT_FOUND, 'NotFound.Site');

    await f.api.customCas.setClientCaCertificateHostnames({ ...ref, hostnames: [`a.${site.name}`] }, a.apiKey);
    await expectFailure(f.api.customCas.deleteClientCaCertificate(ref, b.apiKey), status.NOT_FOUND, 'NotFound.Site');
    expect((await f.api.customCas.deleteClientCaCertificate(ref, a.apiKey)).response).toEqual({});
    await expectFailure(f.api.customCas.getClientCaCertificate(ref, a.apiKey), status.NOT_FOUND, 'NotFound.CaCertificate');
    await expectFailure(f.api.customCas.getClientCaCertificateHostnames(ref, a.apiKey), status.NOT_FOUND, 'NotFound.CaCertificate');
    await expectFailure(f.api.customCas.deleteClientCaCertificate(ref, a.apiKey), status.NOT_FOUND, 'NotFound.CaCertificate');
  });

  it('names a CA after its common name when no name is given', async () => {
    const site = await f.newSite(a.apiKey);
    const { id } = await uploaded(site, 'unnamed');
    expect((await f.api.customCas.getClientCaCertificate({ siteId: site.id, id }, a.apiKey)).response.caCertificate!.name).toBe(
      'unnamed CA',
    );
  });

  it('refuses duplicates, non-CAs, malformed input and a used-up quota', async () => {
    const limited = await f.newAccount({ customCaQuota: 2 });
    const site = await f.newSite(limited.apiKey);
    const ca = await TestCa.create(dir, 'quota');
    const upload = (certificate: string, name?: string) =>
      f.api.customCas.uploadClientCaCertificate({ siteId: site.id, certificate, ...(name !== undefined ? { name } : {}) }, limited.apiKey);
    await upload(ca.certificatePem);
    await expectFailure(upload(ca.certificatePem), status.ALREADY_EXISTS, 'Conflict.CaCertificateExists');
    await upload((await TestCa.create(dir, 'second')).certificatePem);
    await expectFailure(
      upload((await TestCa.create(dir, 'third')).certificatePem),
      status.FAILED_PRECONDITION,
      'QuotaExceeded.CaCertificate',
    );
    await expectFailure(upload(ca.leaf('leaf', ['x.example.org']).certificatePem), status.FAILED_PRECONDITION, 'CaCertificate.NotCa');
    await expectFailure(
      upload('-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n'),
      status.INVALID_ARGUMENT,
      'CaCertificate.Malformed',
    );
    await expectFailure(upload(`${ca.certificatePem}${ca.certificatePem}`), status.INVALID_ARGUMENT, 'CaCertificate.MultipleCertificates');
    await expectFailure(upload(''), status.INVALID_ARGUMENT, 'InvalidParameter');
    await expectFailure(upload('x'.repeat(65_537)), status.INVALID_ARGUMENT, 'InvalidParameter');
    await expectFailure(upload(ca.certificatePem, 'x'.repeat(129)), status.INVALID_ARGUMENT, 'InvalidParameter.Name');
    expect((await f.api.customCas.listClientCaCertificates({ siteId: site.id }, limited.apiKey)).response.page!.totalCount).toBe(2);
  });

  it('takes the CA’s CRL as PEM or DER, keeps only newer ones, and serves it back as DER', async () => {
    const site = await f.newSite(a.apiKey);
    const { ca, id } = await uploaded(site, 'crl');
    const ref = { siteId: site.id, id };
    await expectFailure(f.api.customCas.getClientCaCrl(ref, a.apiKey), status.NOT_FOUND, 'NotFound.Crl');

    const first = ca.crl();
    const stored = (await f.api.customCas.uploadClientCaCrl({ ...ref, crl: Buffer.from(first) }, a.apiKey)).response.crl!;
    expect(stored).toMatchObject({ caId: id, crlNumber: '4096', revokedCount: 0 });
    await expectFailure(
      f.api.customCas.uploadClientCaCrl({ ...ref, crl: Buffer.from(first) }, a.apiKey),
      status.FAILED_PRECONDITION,
      'Conflict.CrlNotNewer',
    );

    ca.revoke(ca.leaf('revoked-device', []).file);
    openssl(['crl', '-in', dir.write('newer.crl', ca.crl()), '-outform', 'DER', '-out', dir.path('newer.crl.der')]);
    const newer = (await f.api.customCas.uploadClientCaCrl({ ...ref, crl: dir.read('newer.crl.der') }, a.apiKey)).response.crl!;
    expect(newer).toMatchObject({ crlNumber: '4097', revokedCount: 1 });
    const held = (await f.api.customCas.getClientCaCrl(ref, a.apiKey)).response.crl!;
    expect(held.crlNumber).toBe('4097');
    expect(held.der).toEqual(dir.read('newer.crl.der'));
    await expectFailure(f.api.customCas.getClientCaCrl(ref, b.apiKey), status.NOT_FOUND, 'NotFound.Site');
  });

  it('refuses a CRL that is empty, malformed or signed by another CA', async () => {
    const site = await f.newSite(a.apiKey);
    const { id } = await uploaded(site, 'strict');
    const stranger = await TestCa.create(dir, 'stranger');
    const ref = { siteId: site.id, id };
    await expectFailure(
      f.api.customCas.uploadClientCaCrl({ ...ref, crl: Buffer.alloc(0) }, a.apiKey),
      status.INVALID_ARGUMENT,
      'InvalidParameter',
    );
    await expectFailure(
      f.api.customCas.uploadClientCaCrl({ ...ref, crl: Buffer.from('garbage') }, a.apiKey),
      status.INVALID_ARGUMENT,
      'Crl.Malformed',
    );
    const foreign = await expectFailure(
      f.api.customCas.uploadClientCaCrl({ ...ref, crl: Buffer.from(stranger.crl()) }, a.apiKey),
      status.INVALID_ARGUMENT,
      'InvalidParameter',
    );
    expect(foreign.details).toMatch(/not signed by this CA/);
    await expectFailure(
      f.api.customCas.uploadClientCaCrl({ ...ref, crl: Buffer.from(stranger.crl()) }, b.apiKey),
      status.NOT_FOUND,
      'NotFound.Site',
    );
  });

  it('revokes serials by hand, lists them, and takes a revocation back', async () => {
    const site = await f.newSite(a.apiKey);
    const { id } = await uploaded(site, 'manual');
    const ref = { siteId: site.id, id };
    const revoked = (await f.api.customCas.revokeClientCaSerial({ ...ref, serialNumber: '0A:BC:01', reason: 'lost laptop' }, a.apiKey))
      .response.revocation!;
    expect(revoked).toMatchObject({ caId: id, serialNumber: '0abc01', reason: 'lost laptop' });
    // Idempotent: the first revocation stays.
    expect((await f.api.customCas.revokeClientCaSerial({ ...ref, serialNumber: 'abc01' }, a.apiKey)).response.revocation).toEqual(revoked);
    await f.api.customCas.revokeClientCaSerial({ ...ref, serialNumber: 'ff' }, a.apiKey);
    const listed = (await f.api.customCas.listClientCaRevocations({ ...ref, page: { pageSize: 1 } }, a.apiKey)).response;
    expect(listed.page).toEqual({ totalCount: 2, pageNumber: 1, pageSize: 1 });
    expect(listed.revocations).toEqual([revoked]);

    await expectFailure(
      f.api.customCas.revokeClientCaSerial({ ...ref, serialNumber: 'xyz' }, a.apiKey),
      status.INVALID_ARGUMENT,
      'InvalidParameter.SerialNumber',
    );
    await expectFailure(
      f.api.customCas.revokeClientCaSerial({ ...ref, serialNumber: '' }, a.apiKey),
      status.INVALID_ARGUMENT,
      'InvalidParameter.SerialNumber',
    );
    await expectFailure(
      f.api.customCas.revokeClientCaSerial({ ...ref, serialNumber: 'ab', reason: 'x'.repeat(257) }, a.apiKey),
      status.INVALID_ARGUMENT,
      'InvalidParameter',
    );
    await expectFailure(f.api.customCas.revokeClientCaSerial({ ...ref, serialNumber: 'ab' }, b.apiKey), status.NOT_FOUND, 'NotFound.Site');
    await expectFailure(f.api.customCas.listClientCaRevocations(ref, b.apiKey), status.NOT_FOUND, 'NotFound.Site');

    expect((await f.api.customCas.deleteClientCaRevocation({ ...ref, serialNumber: '0abc01' }, a.apiKey)).response).toEqual({});
    await expectFailure(
      f.api.customCas.deleteClientCaRevocation({ ...ref, serialNumber: 'abc01' }, a.apiKey),
      status.NOT_FOUND,
      'NotFound.Revocation',
    );
    await expectFailure(
      f.api.customCas.deleteClientCaRevocation({ ...ref, serialNumber: 'ff' }, b.apiKey),
      status.NOT_FOUND,
      'NotFound.Site',
    );
    expect((await f.api.customCas.listClientCaRevocations(ref, a.apiKey)).response.revocations.map((r) => r.serialNumber)).toEqual(['ff']);
  });

  it('binds hostnames to the account CA (empty id) or a custom CA, lower-cased, replacing the list', async () => {
    const site = await f.newSite(a.apiKey);
    const { id } = await uploaded(site, 'binding');
    const account = { siteId: site.id, id: '' };
    const set = (
      await f.api.customCas.setClientCaCertificateHostnames(
        { ...account, hostnames: [`API.${site.name}`, `*.dev.${site.name}`, site.name] },
        a.apiKey,
      )
    ).response;
    expect(set).toEqual({ siteId: site.id, id: '', hostnames: [`api.${site.name}`, `*.dev.${site.name}`, site.name] });
    expect((await f.api.customCas.getClientCaCertificateHostnames(account, a.apiKey)).response).toEqual(set);
    // The account id names the account CA too.
    expect(
      (await f.api.customCas.getClientCaCertificateHostnames({ siteId: site.id, id: a.accountId }, a.apiKey)).response.hostnames,
    ).toEqual(set.hostnames);

    const custom = { siteId: site.id, id };
    expect((await f.api.customCas.getClientCaCertificateHostnames(custom, a.apiKey)).response).toEqual({ ...custom, hostnames: [] });
    await f.api.customCas.setClientCaCertificateHostnames({ ...custom, hostnames: [`a.${site.name}`, `b.${site.name}`] }, a.apiKey);
    const replaced = (await f.api.customCas.setClientCaCertificateHostnames({ ...custom, hostnames: [`c.${site.name}`] }, a.apiKey))
      .response;
    expect(replaced.hostnames).toEqual([`c.${site.name}`]);
    expect((await f.api.customCas.setClientCaCertificateHostnames({ ...custom, hostnames: [] }, a.apiKey)).response.hostnames).toEqual([]);
  });

  it('refuses bad hostname lists with their own codes, and other accounts’ sites and CAs', async () => {
    const site = await f.newSite(a.apiKey);
    const set = (hostnames: string[], id = '') =>
      f.api.customCas.setClientCaCertificateHostnames({ siteId: site.id, id, hostnames }, a.apiKey);
    await expectFailure(
      set(Array.from({ length: 51 }, (_, i) => `h${i}.${site.name}`)),
      status.INVALID_ARGUMENT,
      'InvalidParameter.TooManyHostnames',
    );
    await expectFailure(set(['www.example.org']), status.INVALID_ARGUMENT, 'InvalidParameter.HostnameNotInSite');
    await expectFailure(set([`a.${site.name}`, `A.${site.name}`]), status.INVALID_ARGUMENT, 'InvalidParameter.DuplicateHostname');
    await expectFailure(set([`a*.${site.name}`]), status.INVALID_ARGUMENT, 'InvalidParameter.Hostname');
    await expectFailure(set(["x'; DROP TABLE docs; --"]), status.INVALID_ARGUMENT, 'InvalidParameter.Hostname');
    await expectFailure(set([`${'a'.repeat(300)}.${site.name}`]), status.INVALID_ARGUMENT, 'InvalidParameter.Hostname');
    await expectFailure(set([`a.${site.name}`], 'ca_00000000000000000000'), status.NOT_FOUND, 'NotFound.CaCertificate');
    await expectFailure(
      f.api.customCas.setClientCaCertificateHostnames({ siteId: site.id, id: '', hostnames: [`a.${site.name}`] }, b.apiKey),
      status.NOT_FOUND,
      'NotFound.Site',
    );
    await expectFailure(
      f.api.customCas.getClientCaCertificateHostnames({ siteId: site.id, id: '' }, b.apiKey),
      status.NOT_FOUND,
      'NotFound.Site',
    );
    expect((await f.api.customCas.getClientCaCertificateHostnames({ siteId: site.id, id: '' }, a.apiKey)).response.hostnames).toEqual([]);
  });
});

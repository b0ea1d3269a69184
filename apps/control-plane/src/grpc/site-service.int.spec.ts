import { X509Certificate, createPrivateKey } from 'node:crypto';
import { status } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectFailure, startAdminFixture, type AdminFixture } from './test/admin-fixture.ts';
import { TempDir, TestCa } from './test/test-pki.ts';

describe('SiteService over gRPC', () => {
  let f: AdminFixture;
  let dir: TempDir;
  let ca: TestCa;
  let a: { accountId: string; apiKey: string };
  let b: { accountId: string; apiKey: string };
  beforeAll(async () => {
    f = await startAdminFixture();
    dir = new TempDir();
    ca = await TestCa.create(dir, 'servers');
    a = await f.newAccount();
    b = await f.newAccount();
  });
  afterAll(async () => {
    await f.close();
    dir.remove();
  });

  it('creates a site with its zone lower-cased and its origin as given, and refuses a zone already taken', async () => {
    const created = (
      await f.api.sites.createSite({ name: 'XN--BCHER-KVA.Example', originUrl: 'https://origin.example.net:8443/' }, a.apiKey)
    ).response.site!;
    expect(created).toMatchObject({ name: 'xn--bcher-kva.example', originUrl: 'https://origin.example.net:8443/' });
    expect(created.id).toMatch(/^site_/);
    expect(created.createdAt).toBe(created.updatedAt);
    await expectFailure(
      f.api.sites.createSite({ name: 'xn--bcher-kva.example', originUrl: 'https://o.example.net' }, b.apiKey),
      status.ALREADY_EXISTS,
      'Conflict.SiteExists',
    );
  });

  it('refuses bad site input with the HTTP API’s codes and bounds', async () => {
    const create = (name: string, originUrl: string) => f.api.sites.createSite({ name, originUrl }, a.apiKey);
    await expectFailure(create('*.example.org', 'https://o.example.net'), status.INVALID_ARGUMENT, 'InvalidParameter.SiteName');
    await expectFailure(create('not a zone', 'https://o.example.net'), status.INVALID_ARGUMENT, 'InvalidParameter.SiteName');
    await expectFailure(create('', 'https://o.example.net'), status.INVALID_ARGUMENT, 'InvalidParameter.SiteName');
    await expectFailure(create('a'.repeat(254), 'https://o.example.net'), status.INVALID_ARGUMENT, 'InvalidParameter.SiteName');
    await expectFailure(create('ok.example.org', 'ftp://o.example.net'), status.INVALID_ARGUMENT, 'InvalidParameter.OriginUrl');
    await expectFailure(create('ok.example.org', 'https://user:pw@o.example.net'), status.INVALID_ARGUMENT, 'InvalidParameter.OriginUrl');
    await expectFailure(
      create('ok.example.org', `https://o.example.net/${'a'.repeat(2048)}`),
      status.INVALID_ARGUMENT,
      'InvalidParameter.OriginUrl',
    );
    await expectFailure(create('ok.example.org', ''), status.INVALID_ARGUMENT, 'InvalidParameter.OriginUrl');
  });

  it('gets, lists, updates and deletes a site of the caller only', async () => {
    const site = await f.newSite(a.apiKey);
    expect((await f.api.sites.getSite({ siteId: site.id }, a.apiKey)).response.site).toEqual(site);
    await expectFailure(f.api.sites.getSite({ siteId: site.id }, b.apiKey), status.NOT_FOUND, 'NotFound.Site');
    await expectFailure(f.api.sites.getSite({ siteId: '' }, a.apiKey), status.INVALID_ARGUMENT, 'InvalidParameter');

    const listed = (await f.api.sites.listSites({ page: { pageSize: 100 } }, a.apiKey)).response;
    expect(listed.sites.map((s) => s.id)).toContain(site.id);
    expect(listed.page).toMatchObject({ totalCount: listed.sites.length, pageNumber: 1, pageSize: 100 });
    expect((await f.api.sites.listSites({}, b.apiKey)).response.sites.map((s) => s.id)).not.toContain(site.id);

    const updated = (await f.api.sites.updateSite({ siteId: site.id, originUrl: 'http://10.0.0.7:8080' }, a.apiKey)).response.site!;
    expect(updated).toMatchObject({ id: site.id, name: site.name, originUrl: 'http://10.0.0.7:8080' });
    await expectFailure(
      f.api.sites.updateSite({ siteId: site.id, originUrl: 'javascript:alert(1)' }, a.apiKey),
      status.INVALID_ARGUMENT,
      'InvalidParameter.OriginUrl',
    );
    await expectFailure(
      f.api.sites.updateSite({ siteId: site.id, originUrl: 'https://x.example.net' }, b.apiKey),
      status.NOT_FOUND,
      'NotFound.Site',
    );

    await expectFailure(f.api.sites.deleteSite({ siteId: site.id }, b.apiKey), status.NOT_FOUND, 'NotFound.Site');
    expect((await f.api.sites.deleteSite({ siteId: site.id }, a.apiKey)).response).toEqual({});
    await expectFailure(f.api.sites.getSite({ siteId: site.id }, a.apiKey), status.NOT_FOUND, 'NotFound.Site');
    await expectFailure(f.api.sites.deleteSite({ siteId: site.id }, a.apiKey), status.NOT_FOUND, 'NotFound.Site');
  });

  it('uploads a server certificate with its key, shows its facts and hostnames, never the key', async () => {
    const site = await f.newSite(a.apiKey);
    const leaf = ca.leaf('www', [`www.${site.name}`, `*.api.${site.name}`, 'elsewhere.example.org']);
    const chain = `${leaf.certificatePem}${ca.certificatePem}`;
    const uploaded = (await f.api.sites.uploadServerCertificate({ siteId: site.id, certificate: chain, privateKey: leaf.keyPem }, a.apiKey))
      .response.serverCertificate!;
    const x509 = new X509Certificate(leaf.certificatePem);
    expect(uploaded).toMatchObject({ siteId: site.id, hostnames: [`www.${site.name}`, `*.api.${site.name}`] });
    expect(uploaded.facts).toMatchObject({
      commonName: `www.${site.name}`,
      serialNumber: x509.serialNumber.toLowerCase().replace(/^(00)+/, ''),
      fingerprintSha256: x509.fingerprint256.replaceAll(':', '').toLowerCase(),
      issuerDn: 'CN=servers CA,O=Example',
      notAfter: new Date(x509.validTo).toISOString(),
    });
    expect(uploaded.certificate).toContain(ca.certificatePem.trim());

    const listed = (await f.api.sites.listServerCertificates({ siteId: site.id }, a.apiKey)).response;
    expect(listed.serverCertificates).toEqual([uploaded]);
    const keyBody = createPrivateKey(leaf.keyPem).export({ type: 'pkcs8', format: 'der' }).toString('base64').slice(20, 60);
    expect(JSON.stringify(listed)).not.toContain(keyBody);
    await expectFailure(f.api.sites.listServerCertificates({ siteId: site.id }, b.apiKey), status.NOT_FOUND, 'NotFound.Site');

    await expectFailure(
      f.api.sites.deleteServerCertificate({ siteId: site.id, id: uploaded.id }, b.apiKey),
      status.NOT_FOUND,
      'NotFound.Site',
    );
    await f.api.sites.deleteServerCertificate({ siteId: site.id, id: uploaded.id }, a.apiKey);
    expect((await f.api.sites.listServerCertificates({ siteId: site.id }, a.apiKey)).response.serverCertificates).toEqual([]);
    await expectFailure(
      f.api.sites.deleteServerCertificate({ siteId: site.id, id: uploaded.id }, a.apiKey),
      status.NOT_FOUND,
      'NotFound.ServerCertificate',
    );
  });

  it('refuses server certificates that do not fit the site or their key', async () => {
    const site = await f.newSite(a.apiKey);
    const mine = ca.leaf('mine', [`app.${site.name}`]);
    const other = ca.leaf('other', ['app.example.org']);
    const upload = (certificate: string, privateKey: string) =>
      f.api.sites.uploadServerCertificate({ siteId: site.id, certificate, privateKey }, a.apiKey);
    await expectFailure(upload(mine.certificatePem, other.keyPem), status.INVALID_ARGUMENT, 'InvalidParameter.CertificateKeyMismatch');
    await expectFailure(upload(other.certificatePem, other.keyPem), status.INVALID_ARGUMENT, 'InvalidParameter.ServerCertificate');
    await expectFailure(upload(ca.certificatePem, mine.keyPem), status.INVALID_ARGUMENT, 'InvalidParameter.ServerCertificate');
    await expectFailure(upload(mine.certificatePem, 'not a key'), status.INVALID_ARGUMENT, 'Key.Malformed');
    await expectFailure(upload(mine.certificatePem, ''), status.INVALID_ARGUMENT, 'InvalidParameter');
    await expectFailure(upload('x'.repeat(65_537), mine.keyPem), status.INVALID_ARGUMENT, 'InvalidParameter');
    await expectFailure(upload(mine.certificatePem, 'x'.repeat(16_385)), status.INVALID_ARGUMENT, 'InvalidParameter');
  });

  it('returns the account CA, the same on every call, without its key', async () => {
    const first = (await f.api.sites.getAccountCa({}, a.apiKey)).response;
    const again = (await f.api.sites.getAccountCa({}, a.apiKey)).response;
    expect(again).toEqual(first);
    expect(first.id).toBe(a.accountId);
    expect(first.facts).toMatchObject({
      commonName: `Portcullis client CA ${a.accountId}`,
      pubkeyAlgorithm: expect.stringMatching(/ec|EC/),
    });
    expect(new X509Certificate(first.certificate).ca).toBe(true);
    expect(JSON.stringify(first)).not.toMatch(/PRIVATE KEY|ciphertext|wrappedKey/);
    expect((await f.api.sites.getAccountCa({}, b.apiKey)).response.id).toBe(b.accountId);
    await expectFailure(f.api.sites.getAccountCa({}, f.adminToken), status.PERMISSION_DENIED, 'Auth.AccountOnly');
  });
});

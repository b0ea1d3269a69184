import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rpcActions } from '../src/http/rpc/rpc-actions.ts';
import { TempDir, opensslCsr, opensslResult, publicKeyOf } from './support/openssl.ts';
import { makeCa } from './support/pki.ts';
import {
  call,
  createAccount,
  createSite,
  expectRpcError,
  rpc,
  snapshot,
  buildTestApp,
  type TestAccount,
  type TestApp,
  type TestSite,
} from './support/test-app.ts';

/** The original product's operations (REFERENCE.md), every one served at `/?Action=`. */
const originalOperations = [
  'CreateClientCertificate',
  'GetClientCertificate',
  'ListClientCertificates',
  'RevokeClientCertificate',
  'ActivateClientCertificate',
  'DeleteClientCertificate',
  'UploadClientCaCertificate',
  'GetClientCaCertificate',
  'ListClientCaCertificates',
  'DeleteClientCaCertificate',
  'SetClientCaCertificateHostnames',
  'GetClientCaCertificateHostnames',
  'SetClientCertificateHostnames',
  'GetClientCertificateHostnames',
];

const resultFields = [
  'Id',
  'Name',
  'CommonName',
  'SAN',
  'Issuer',
  'SerialNumber',
  'FingerprintSha256',
  'SignatureAlgorithm',
  'PubkeyAlgorithm',
  'NotBefore',
  'NotAfter',
  'Status',
  'CACertificateId',
  'CreateTime',
  'UpdateTime',
];

describe('the RPC endpoint of the original product', () => {
  let t: TestApp;
  let a: TestAccount;
  let site: TestSite;
  let dir: TempDir;

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

  it('serves exactly the original operations', () => {
    expect([...rpcActions(t.services).keys()].sort()).toEqual([...originalOperations].sort());
  });

  it('CreateClientCertificate with a system key: the original response fields, key once; openssl verifies it', async () => {
    const answer = await rpc(t.app, a.apiKey, 'CreateClientCertificate', { SiteId: site.id, ValidityDays: 30, PkeyType: 'RSA' });
    expect(answer.status).toBe(200);
    expect(Object.keys(answer.body).sort()).toEqual(
      [
        'RequestId',
        'Id',
        'Status',
        'Certificate',
        'PrivateKey',
        'CommonName',
        'NotBefore',
        'NotAfter',
        'Issuer',
        'SerialNumber',
        'FingerprintSha256',
        'SignatureAlgorithm',
        'ValidityDays',
        'CACertificateId',
      ].sort(),
    );
    expect(answer.body).toMatchObject({
      RequestId: answer.raw.headers['x-request-id'],
      Status: 'active',
      ValidityDays: 30,
      CACertificateId: a.accountId,
    });
    expect(answer.body.PrivateKey).toMatch(/^-----BEGIN PRIVATE KEY-----/);
    const ca = dir.write('rpc-ca.pem', (await call(t.app, a.apiKey, 'GET', '/v1/account-ca')).body.certificate);
    const leaf = dir.write('rpc-leaf.pem', answer.body.Certificate);
    expect(opensslResult(['verify', '-CAfile', ca, '-purpose', 'sslclient', leaf]).status).toBe(0);
    expect(publicKeyOf('x509', leaf)).toBe(publicKeyOf('pkey', dir.write('rpc.key', answer.body.PrivateKey)));
    expect((await t.store.get('clientCertificate', answer.body.Id))?.data.validityDays).toBe(30);
  });

  it('CreateClientCertificate from a CSR (form body): no PrivateKey, the CSR key certified', async () => {
    const csr = opensslCsr(dir, '/CN=rpc-device');
    const form = new URLSearchParams({ SiteId: site.id, ValidityDays: '7', CSR: csr.csrPem }).toString();
    const answer = await call(t.app, a.apiKey, 'POST', '/?Action=CreateClientCertificate', form, {
      'content-type': 'application/x-www-form-urlencoded',
    });
    expect(answer.status, JSON.stringify(answer.body)).toBe(200);
    expect(answer.body.PrivateKey).toBeUndefined();
    expect(answer.body).toMatchObject({ CommonName: 'rpc-device', ValidityDays: 7 });
    expect(publicKeyOf('x509', dir.write('rpc-csr-leaf.pem', answer.body.Certificate))).toBe(publicKeyOf('req', csr.csrFile));
  });

  it('Get, List, Revoke, Activate and Delete a client certificate, with the original field names', async () => {
    const created = await rpc(t.app, a.apiKey, 'CreateClientCertificate', { SiteId: site.id, ValidityDays: 365 });
    const id = created.body.Id;

    const got = await rpc(t.app, a.apiKey, 'GetClientCertificate', { SiteId: site.id, Id: id });
    expect(got.status).toBe(200);
    expect(Object.keys(got.body).sort()).toEqual(['Certificate', 'RequestId', 'Result']);
    expect(Object.keys(got.body.Result).sort()).toEqual([...resultFields].sort());
    expect(got.body.Result).toMatchObject({
      Id: id,
      Status: 'active',
      SerialNumber: created.body.SerialNumber,
      CACertificateId: a.accountId,
    });
    expect(got.body.Certificate).toBe(created.body.Certificate);
    expect(got.raw.body).not.toContain('PRIVATE KEY');

    // GET with query parameters, as the original's SDKs send them.
    const listed = await call(t.app, a.apiKey, 'GET', `/?Action=ListClientCertificates&SiteId=${site.id}&PageNumber=1&PageSize=100`);
    expect(listed.status).toBe(200);
    expect(listed.body).toMatchObject({ PageNumber: 1, PageSize: 100 });
    expect(listed.body.TotalCount).toBe(listed.body.Result.length);
    expect(listed.body.Result.map((r: { Id: string }) => r.Id)).toContain(id);
    const paged = await rpc(t.app, a.apiKey, 'ListClientCertificates', { SiteId: site.id, PageSize: '1', PageNumber: '1' });
    expect(paged.body).toMatchObject({ PageNumber: 1, PageSize: 1, TotalCount: listed.body.TotalCount });
    expect(paged.body.Result).toHaveLength(1);

    // No confirmation field in the original: the call itself confirms.
    const revoked = await rpc(t.app, a.apiKey, 'RevokeClientCertificate', { SiteId: site.id, Id: id });
    expect(revoked.status).toBe(200);
    expect(revoked.body).toEqual({ RequestId: expect.any(String), Id: id, SiteId: site.id, SiteName: site.name });
    expect((await t.store.get('clientCertificate', id))?.data.status).toBe('revoked');
    expectRpcError(await rpc(t.app, a.apiKey, 'RevokeClientCertificate', { SiteId: site.id, Id: id }), 409, 'Conflict.Status');
    const activated = await rpc(t.app, a.apiKey, 'ActivateClientCertificate', { SiteId: site.id, Id: id });
    expect(activated.body).toEqual({ RequestId: expect.any(String), Id: id, SiteId: site.id, SiteName: site.name });
    expect((await t.store.get('clientCertificate', id))?.data.status).toBe('active');

    const deleted = await rpc(t.app, a.apiKey, 'DeleteClientCertificate', { SiteId: site.id, Id: id });
    expect(deleted.status).toBe(200);
    expect(deleted.body).toEqual({ RequestId: deleted.raw.headers['x-request-id'] });
    expect(await t.store.get('clientCertificate', id)).toBeUndefined();
    expect(await t.store.get('revocation', `${a.accountId}:${created.body.SerialNumber}`)).toBeDefined();
    expectRpcError(await rpc(t.app, a.apiKey, 'GetClientCertificate', { SiteId: site.id, Id: id }), 404, 'NotFound.ClientCertificate');
  });

  it('Upload, Get, List and Delete a client CA', async () => {
    const ca = await makeCa('RPC CA');
    const uploaded = await rpc(t.app, a.apiKey, 'UploadClientCaCertificate', {
      SiteId: site.id,
      Certificate: ca.certificatePem,
      Name: 'rpc',
    });
    expect(uploaded.status).toBe(200);
    expect(Object.keys(uploaded.body).sort()).toEqual(
      [
        'CommonName',
        'FingerprintSha256',
        'Id',
        'Issuer',
        'NotAfter',
        'NotBefore',
        'RequestId',
        'SerialNumber',
        'SignatureAlgorithm',
        'Status',
      ].sort(),
    );
    expect(uploaded.body).toMatchObject({
      Status: 'OK',
      CommonName: 'RPC CA',
      SerialNumber: ca.info.serialNumber,
      FingerprintSha256: ca.info.fingerprintSha256,
    });
    const id = uploaded.body.Id;

    const got = await rpc(t.app, a.apiKey, 'GetClientCaCertificate', { SiteId: site.id, Id: id });
    expect(got.body.Certificate).toBe(ca.certificatePem);
    expect(got.body.Result).toMatchObject({
      Id: id,
      Name: 'rpc',
      Type: 'upload',
      Status: 'OK',
      PubkeyAlgorithm: expect.any(String),
      CreateTime: expect.any(String),
    });
    const listed = await rpc(t.app, a.apiKey, 'ListClientCaCertificates', { SiteId: site.id });
    expect(listed.body).toMatchObject({ TotalCount: 1, PageNumber: 1, PageSize: 20, Result: [{ Id: id, Type: 'upload' }] });

    expectRpcError(
      await rpc(t.app, a.apiKey, 'UploadClientCaCertificate', { SiteId: site.id, Certificate: ca.certificatePem }),
      409,
      'Conflict.CaCertificateExists',
    );
    const deleted = await rpc(t.app, a.apiKey, 'DeleteClientCaCertificate', { SiteId: site.id, Id: id });
    expect(deleted.body).toEqual({ RequestId: expect.any(String) });
    expect(await t.store.get('customCa', id)).toBeUndefined();
    expectRpcError(await rpc(t.app, a.apiKey, 'GetClientCaCertificate', { SiteId: site.id, Id: id }), 404, 'NotFound.CaCertificate');
  });

  it('Set/Get…Hostnames (and the older alias names): no Id means the account CA', async () => {
    const z = site.name;
    const set = await rpc(t.app, a.apiKey, 'SetClientCaCertificateHostnames', { SiteId: site.id, Hostnames: [`A.${z}`, z] });
    expect(set.status).toBe(200);
    expect(set.body).toEqual({ RequestId: expect.any(String), SiteId: site.id, Hostnames: [`a.${z}`, z] });
    expect((await t.store.get('binding', `${site.id}:${a.accountId}`))?.data.hostnames).toEqual([`a.${z}`, z]);
    expect((await rpc(t.app, a.apiKey, 'GetClientCaCertificateHostnames', { SiteId: site.id })).body.Hostnames).toEqual([`a.${z}`, z]);
    expect((await rpc(t.app, a.apiKey, 'GetClientCertificateHostnames', { SiteId: site.id })).body.Hostnames).toEqual([`a.${z}`, z]);

    const ca = (
      await rpc(t.app, a.apiKey, 'UploadClientCaCertificate', {
        SiteId: site.id,
        Certificate: (await makeCa('RPC binding CA')).certificatePem,
      })
    ).body.Id;
    // Flattened list parameters in the query string (Hostnames.1, Hostnames.2).
    const flattened = await call(
      t.app,
      a.apiKey,
      'POST',
      `/?Action=SetClientCertificateHostnames&SiteId=${site.id}&Id=${ca}&Hostnames.1=b.${z}&Hostnames.2=c.${z}`,
    );
    expect(flattened.body).toEqual({ RequestId: expect.any(String), SiteId: site.id, Id: ca, Hostnames: [`b.${z}`, `c.${z}`] });
    // A JSON-encoded list in a form.
    const form = new URLSearchParams({ SiteId: site.id, Id: ca, Hostnames: JSON.stringify([`d.${z}`]) }).toString();
    const viaForm = await call(t.app, a.apiKey, 'POST', '/?Action=SetClientCaCertificateHostnames', form, {
      'content-type': 'application/x-www-form-urlencoded',
    });
    expect(viaForm.body.Hostnames).toEqual([`d.${z}`]);
    expect((await rpc(t.app, a.apiKey, 'GetClientCaCertificateHostnames', { SiteId: site.id, Id: ca })).body).toEqual({
      RequestId: expect.any(String),
      SiteId: site.id,
      Id: ca,
      Hostnames: [`d.${z}`],
    });
    // An explicit empty list unbinds.
    expect(
      (await rpc(t.app, a.apiKey, 'SetClientCaCertificateHostnames', { SiteId: site.id, Id: ca, Hostnames: [] })).body.Hostnames,
    ).toEqual([]);
    expect(await t.store.get('binding', `${site.id}:${ca}`)).toBeUndefined();
  });

  it('answers errors as { RequestId, Code, Message } with the REST codes and statuses, changing nothing', async () => {
    const bound = await rpc(t.app, a.apiKey, 'SetClientCaCertificateHostnames', { SiteId: site.id, Hostnames: [site.name] });
    expect(bound.status).toBe(200);
    const csr = opensslCsr(dir).csrPem;
    const cases: [string, Record<string, unknown>, number, string][] = [
      ['CreateClientCertificate', {}, 400, 'InvalidParameter'],
      ['CreateClientCertificate', { SiteId: site.id, PkeyType: 'DSA' }, 400, 'InvalidParameter.PkeyType'],
      ['CreateClientCertificate', { SiteId: site.id, ValidityDays: 0 }, 400, 'InvalidParameter.ValidityDays'],
      ['CreateClientCertificate', { SiteId: site.id, ValidityDays: 3651 }, 400, 'InvalidParameter.ValidityDays'],
      ['CreateClientCertificate', { SiteId: site.id, ValidityDays: 'ten' }, 400, 'InvalidParameter.ValidityDays'],
      ['CreateClientCertificate', { SiteId: site.id, ValidityDays: 1.5 }, 400, 'InvalidParameter.ValidityDays'],
      ['CreateClientCertificate', { SiteId: site.id, CSR: csr, PkeyType: 'ECC' }, 400, 'InvalidParameter.KeyOrCsr'],
      ['CreateClientCertificate', { SiteId: site.id, CSR: 'garbage' }, 400, 'Csr.Malformed'],
      ['CreateClientCertificate', { SiteId: site.id, CommonName: 'x'.repeat(65) }, 422, 'Subject.InvalidCommonName'],
      ['CreateClientCertificate', { SiteId: { $ne: null } }, 400, 'InvalidParameter'],
      ['CreateClientCertificate', { SiteId: 'site_00000000000000000000' }, 404, 'NotFound.Site'],
      ['ListClientCertificates', { SiteId: site.id, PageSize: 101 }, 400, 'InvalidParameter.Paging'],
      ['ListClientCertificates', { SiteId: site.id, PageNumber: 0 }, 400, 'InvalidParameter.Paging'],
      ['ListClientCertificates', { SiteId: site.id, PageNumber: 501 }, 400, 'InvalidParameter.Paging'],
      ['ListClientCertificates', { SiteId: site.id, PageNumber: '1; DROP' }, 400, 'InvalidParameter.Paging'],
      ['ListClientCaCertificates', { SiteId: site.id, PageSize: -1 }, 400, 'InvalidParameter.Paging'],
      ['GetClientCertificate', { SiteId: site.id }, 400, 'InvalidParameter'],
      ['RevokeClientCertificate', { SiteId: site.id, Id: 'cc_00000000000000000000' }, 404, 'NotFound.ClientCertificate'],
      ['UploadClientCaCertificate', { SiteId: site.id, Certificate: 'x', Name: 'n'.repeat(129) }, 400, 'InvalidParameter.Name'],
      ['UploadClientCaCertificate', { SiteId: site.id, Certificate: 'not a certificate' }, 400, 'CaCertificate.Malformed'],
      ['SetClientCaCertificateHostnames', { SiteId: site.id }, 400, 'InvalidParameter.Hostname'],
      ['SetClientCaCertificateHostnames', { SiteId: site.id, Hostnames: 5 }, 400, 'InvalidParameter.Hostname'],
      ['SetClientCaCertificateHostnames', { SiteId: site.id, Hostnames: { a: 1 } }, 400, 'InvalidParameter.Hostname'],
      ['SetClientCaCertificateHostnames', { SiteId: site.id, Hostnames: '[not json' }, 400, 'InvalidParameter.Hostname'],
      ['SetClientCaCertificateHostnames', { SiteId: site.id, Hostnames: [1] }, 400, 'InvalidParameter.Hostname'],
      ['SetClientCaCertificateHostnames', { SiteId: site.id, Hostnames: ['www.example.org'] }, 400, 'InvalidParameter.HostnameNotInSite'],
      [
        'SetClientCaCertificateHostnames',
        { SiteId: site.id, Hostnames: Array.from({ length: 51 }, (_, i) => `h${i}.${site.name}`) },
        400,
        'InvalidParameter.TooManyHostnames',
      ],
      [
        'SetClientCaCertificateHostnames',
        { SiteId: site.id, Id: 'ca_00000000000000000000', Hostnames: [site.name] },
        404,
        'NotFound.CaCertificate',
      ],
    ];
    const s = await snapshot(t, a);
    for (const [action, params, status, code] of cases) {
      const answer = await rpc(t.app, a.apiKey, action, params);
      expect({ action, params: JSON.stringify(params).slice(0, 80), status: answer.status, code: answer.body.Code }).toEqual({
        action,
        params: JSON.stringify(params).slice(0, 80),
        status,
        code,
      });
      expectRpcError(answer, status, code);
    }
    await s.expectUnchanged();
    // A missing or mistyped list never clears what was bound.
    expect((await rpc(t.app, a.apiKey, 'GetClientCaCertificateHostnames', { SiteId: site.id })).body.Hostnames).toEqual([site.name]);
  });

  it('refuses bodies it cannot read: 413, 415, bad JSON; nothing changes', async () => {
    const s = await snapshot(t, a);
    expectRpcError(
      await rpc(t.app, a.apiKey, 'CreateClientCertificate', { SiteId: site.id, CSR: 'A'.repeat(300_000) }),
      413,
      'Payload.TooLarge',
    );
    expectRpcError(
      await call(t.app, a.apiKey, 'POST', '/?Action=CreateClientCertificate', `SiteId=${site.id}`, { 'content-type': 'text/plain' }),
      415,
      'Payload.UnsupportedMediaType',
    );
    expectRpcError(
      await call(t.app, a.apiKey, 'POST', '/?Action=CreateClientCertificate', '{"SiteId":', { 'content-type': 'application/json' }),
      400,
      'InvalidParameter',
    );
    await s.expectUnchanged();
    expect(fs.existsSync(dir.root)).toBe(true);
  });
});

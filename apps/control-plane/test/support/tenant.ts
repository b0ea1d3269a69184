import { expect } from 'vitest';
import { OpensslCa, serverCertificate, type TempDir } from './openssl.ts';
import { issueFrom, makeCa } from './pki.ts';
import {
  call,
  createAccount,
  createClientCertificate,
  createSite,
  uploadCustomCa,
  type Answer,
  type TestAccount,
  type TestApp,
  type TestSite,
} from './test-app.ts';

/** One account with one of everything the API can address, made through the API. */
export interface Tenant {
  readonly account: TestAccount;
  /** A second API key of the account (id only). */
  readonly otherKeyId: string;
  readonly site: TestSite;
  readonly clientCertificate: string;
  readonly customCa: string;
  /** A valid CA certificate not uploaded yet. */
  readonly spareCaPem: string;
  /** A CRL of the custom CA, older than the one held. */
  readonly crl: string;
  /** A serial revoked by hand on the custom CA. */
  readonly revokedSerial: string;
  readonly serverCertificate: string;
  readonly wafRule: string;
  /** An uploadable server certificate body for the site. */
  readonly server: { certificate: string; privateKey: string };
}

export async function createTenant(t: TestApp, dir: TempDir, label: string): Promise<Tenant> {
  const ok = (answer: Answer, status = 200) => expect(answer.status, JSON.stringify(answer.body)).toBe(status);
  const account = await createAccount(t, { name: `Tenant ${label}` });
  const key = await call(t.app, account.apiKey, 'POST', `/v1/accounts/${account.accountId}/api-keys`, { name: 'second' });
  ok(key, 201);
  const site = await createSite(t, account);
  const clientCertificate = (await createClientCertificate(t, account, site.id)).certificate.id;
  const ca = await makeCa(`Tenant ${label} CA`);
  const customCa = (await uploadCustomCa(t, account, site.id, ca.certificatePem)).id;
  const opensslCa = new OpensslCa(dir, `tenant-${label}`, ca.certificatePem, ca.privateKeyPem);
  opensslCa.revoke((await issueFrom(ca, 'revoked leaf')).certificatePem);
  const crl = opensslCa.crl();
  const revokedSerial = 'c0ffee';
  ok(await call(t.app, account.apiKey, 'PUT', `/v1/sites/${site.id}/client-ca-certificates/${customCa}/crl`, { crl: opensslCa.crl() }));
  ok(
    await call(t.app, account.apiKey, 'POST', `/v1/sites/${site.id}/client-ca-certificates/${customCa}/revocations`, {
      serialNumber: revokedSerial,
    }),
    201,
  );
  ok(await call(t.app, account.apiKey, 'PUT', `/v1/sites/${site.id}/ca-bindings/account`, { hostnames: [site.name] }));
  ok(await call(t.app, account.apiKey, 'PUT', `/v1/sites/${site.id}/ca-bindings/${customCa}`, { hostnames: [`*.${site.name}`] }));
  const { certificate, privateKey } = serverCertificate(dir, [`www.${site.name}`]);
  const server = { certificate, privateKey };
  const srv = await call(t.app, account.apiKey, 'POST', `/v1/sites/${site.id}/server-certificates`, server);
  ok(srv, 201);
  const rule = await call(t.app, account.apiKey, 'POST', `/v1/sites/${site.id}/waf-rules`, {
    expression: `http.host eq "api.${site.name}" and not ssl.client_cert.verified`,
  });
  ok(rule, 201);
  return {
    account,
    otherKeyId: key.body.key.id,
    site,
    clientCertificate,
    customCa,
    spareCaPem: (await makeCa(`Tenant ${label} spare CA`)).certificatePem,
    crl,
    revokedSerial,
    serverCertificate: srv.body.id,
    wafRule: rule.body.rule.id,
    server,
  };
}

/** A concrete URL for a route pattern, naming the tenant's own resources. */
export function urlFor(pattern: string, tenant: Tenant): string {
  const idOf = (collection: string) =>
    ({
      'client-certificates': tenant.clientCertificate,
      'client-ca-certificates': tenant.customCa,
      'server-certificates': tenant.serverCertificate,
    })[collection];
  return pattern.replace(/\/([a-z-]+)\/:(\w+)/g, (_m, collection: string, param: string) => {
    const value =
      param === 'accountId'
        ? tenant.account.accountId
        : param === 'keyId'
          ? tenant.otherKeyId
          : param === 'siteId'
            ? tenant.site.id
            : param === 'caId'
              ? 'account'
              : param === 'serialNumber'
                ? tenant.revokedSerial
                : param === 'ruleId'
                  ? tenant.wafRule
                  : idOf(collection);
    if (value === undefined) throw new Error(`no value for :${param} in ${pattern}`);
    return `/${collection}/${value}`;
  });
}

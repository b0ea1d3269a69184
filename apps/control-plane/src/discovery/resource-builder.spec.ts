import { randomBytes } from 'node:crypto';
import { decodeResource, resourceTypeOrder, type ResourceType } from '@portcullis/config';
import { readPrivateKeyPem } from '@portcullis/pki';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TempDir } from '../../test/support/openssl.ts';
import { createTenant, type Tenant } from '../../test/support/tenant.ts';
import { buildTestApp, call, type TestApp } from '../../test/support/test-app.ts';
import { localKeyManager } from '../crypto/key-manager.ts';
import { resourceBuilder, type ResourceBuilder, type ResourceSets } from './resource-builder.ts';

/** name → version of every resource, per type. */
function versions(sets: ResourceSets): Record<ResourceType, Record<string, string>> {
  return Object.fromEntries(
    resourceTypeOrder.map((type) => [type, Object.fromEntries([...sets[type]].map(([name, r]) => [name, r.version]))]),
  ) as Record<ResourceType, Record<string, string>>;
}

describe('resource builder', () => {
  const masterKey = randomBytes(32);
  let t: TestApp;
  let dir: TempDir;
  let tenant: Tenant;
  let builder: ResourceBuilder;

  /** The names the change records written since `revision` ask to rebuild. */
  async function affectedSince(revision: number): Promise<string[]> {
    const { records } = await t.store.changes(revision, 100);
    const names = new Set<string>();
    for (const record of records) for (const name of await builder.affectedNames(record)) names.add(name);
    return [...names].sort();
  }

  /** Runs `change` and returns the names its change records ask to rebuild. */
  async function affectedBy(change: () => Promise<unknown>): Promise<string[]> {
    const before = await t.store.revision();
    await change();
    return affectedSince(before);
  }

  beforeAll(async () => {
    t = await buildTestApp({ keyManager: localKeyManager([masterKey]) });
    dir = new TempDir();
    tenant = await createTenant(t, dir, 'builder');
    builder = resourceBuilder({ store: t.store, keyManager: t.keyManager });
  });
  afterAll(async () => {
    await t?.close();
    dir?.remove();
  });

  it('builds each resource of a tenant from its documents, repeated fields sorted', async () => {
    const all = await builder.buildAll();
    const { site, account, customCa, serverCertificate, wafRule } = tenant;
    const accountId = account.accountId;
    expect(Object.fromEntries(resourceTypeOrder.map((type) => [type, [...all[type].keys()]]))).toEqual({
      site: [`site/${site.id}`],
      credential: [`credential/${serverCertificate}`],
      trust: [`trust/${site.id}`],
      // Every account's CA and every custom CA has a revocation set, the account CA's empty so far.
      revocations: [`revocations/${accountId}`, `revocations/${customCa}`].sort(),
      waf: [`waf/${site.id}`],
    });
    const one = <T extends ResourceType>(type: T) => decodeResource(type, [...all[type].values()][0]!);
    expect(decodeResource('revocations', all.revocations.get(`revocations/${accountId}`)!)).toEqual({ caId: accountId, serials: [] });
    expect(one('site')).toEqual({ id: site.id, zone: site.name, originUrl: 'https://origin.example.net', forwardClientCert: false });

    const accountCa = (await t.store.get('accountCa', accountId))!.data;
    const custom = (await t.store.get('customCa', customCa))!.data;
    expect(one('trust')).toEqual({
      siteId: site.id,
      cas: [
        { id: accountId, certificatePem: accountCa.certificatePem },
        { id: customCa, certificatePem: custom.certificatePem },
      ].sort((a, b) => (a.id < b.id ? -1 : 1)),
      bindings: [
        { hostname: `*.${site.name}`, caIds: [customCa] },
        { hostname: site.name, caIds: [accountId] },
      ],
    });

    const credential = one('credential');
    expect(credential).toMatchObject({ id: serverCertificate, siteId: site.id, hostnames: [`www.${site.name}`] });
    expect(credential.certificateChainPem).toBe(`${tenant.server.certificate.trim()}\n`);
    const key = readPrivateKeyPem(credential.privateKeyPem);
    expect(key.export({ type: 'pkcs8', format: 'der' })).toEqual(
      readPrivateKeyPem(tenant.server.privateKey).export({ type: 'pkcs8', format: 'der' }),
    );

    const crl = (await t.store.get('customCaCrl', customCa))!.data;
    expect(decodeResource('revocations', all.revocations.get(`revocations/${customCa}`)!)).toEqual({
      caId: customCa,
      serials: [...crl.revokedSerials, tenant.revokedSerial].sort(),
    });
    expect(one('waf')).toEqual({
      siteId: site.id,
      rules: [
        {
          id: wafRule,
          expression: `http.host eq "api.${site.name}" and not ssl.client_cert.verified`,
          action: 'block',
          status: 403,
          body: '',
          contentType: '',
          enabled: true,
          description: '',
        },
      ],
    });
  });

  it('gives the same versions on every build and on another replica (another builder and key manager, same master key)', async () => {
    const first = versions(await builder.buildAll());
    const replica = resourceBuilder({ store: t.store, keyManager: localKeyManager([Buffer.from(masterKey)]) });
    expect(versions(await replica.buildAll())).toEqual(first);
    expect(versions(await builder.buildAll())).toEqual(first);
    for (const type of resourceTypeOrder)
      for (const name of Object.keys(first[type])) expect((await replica.build(name))?.version).toBe(first[type][name]);
  });

  it('names the resources each kind of change touches', async () => {
    const { account, site } = tenant;
    const key = account.apiKey;
    const s = `/v1/sites/${site.id}`;
    const [trust, revocationsOfAccount, siteName, waf] = [
      `trust/${site.id}`,
      `revocations/${account.accountId}`,
      `site/${site.id}`,
      `waf/${site.id}`,
    ];
    const ok = (status: number) => (answer: { status: number; body: unknown }) =>
      expect(answer.status, JSON.stringify(answer.body)).toBe(status);

    // Client certificates: status changes and deletes reach the account CA's revocations.
    const certificate = tenant.clientCertificate;
    expect(
      await affectedBy(() => call(t.app, key, 'POST', `${s}/client-certificates/${certificate}/revoke`, { confirm: true }).then(ok(200))),
    ).toEqual([revocationsOfAccount]);
    expect(await affectedBy(() => call(t.app, key, 'POST', `${s}/client-certificates/${certificate}/activate`).then(ok(200)))).toEqual([
      revocationsOfAccount,
    ]);
    expect(await affectedBy(() => call(t.app, key, 'DELETE', `${s}/client-certificates/${certificate}`).then(ok(204)))).toEqual([
      revocationsOfAccount,
    ]);
    expect((await builder.build(revocationsOfAccount))!.name).toBe(revocationsOfAccount);

    // Bindings reach the site's trust bundle; the site itself reaches site, trust and WAF.
    expect(
      await affectedBy(() => call(t.app, key, 'PUT', `${s}/ca-bindings/account`, { hostnames: [`a.${site.name}`] }).then(ok(200))),
    ).toEqual([trust]);
    expect(await affectedBy(() => call(t.app, key, 'PATCH', s, { originUrl: 'https://other.example.net' }).then(ok(200)))).toEqual(
      [siteName, trust, waf].sort(),
    );
    expect(await affectedBy(() => call(t.app, key, 'POST', `${s}/waf-rules`, { expression: 'http.host eq "x"' }).then(ok(201)))).toEqual([
      waf,
    ]);

    // Custom CAs: hand revocations and CRLs reach their revocation set; a delete also the trust bundle.
    const ca = tenant.customCa;
    expect(
      await affectedBy(() =>
        call(t.app, key, 'POST', `${s}/client-ca-certificates/${ca}/revocations`, { serialNumber: '0b' }).then(ok(201)),
      ),
    ).toEqual([`revocations/${ca}`]);
    expect(await affectedBy(() => call(t.app, key, 'DELETE', `${s}/client-ca-certificates/${ca}/revocations/0b`).then(ok(204)))).toEqual([
      `revocations/${ca}`,
    ]);
    expect(
      await affectedBy(() =>
        call(t.app, key, 'PUT', `${s}/client-ca-certificates/${ca}/crl`, { crl: tenant.crl }).then((a) => expect(a.status).toBe(409)),
      ),
    ).toEqual([]);
    expect(await affectedBy(() => call(t.app, key, 'DELETE', `${s}/client-ca-certificates/${ca}`).then(ok(204)))).toEqual(
      [`revocations/${ca}`, trust].sort(),
    );
    const uploaded = await affectedBy(() =>
      call(t.app, key, 'POST', `${s}/client-ca-certificates`, { certificate: tenant.spareCaPem }).then(ok(201)),
    );
    expect(uploaded).toHaveLength(2);
    expect(uploaded).toContain(trust);

    // Server certificates reach their credential.
    expect(
      await affectedBy(() => call(t.app, key, 'DELETE', `${s}/server-certificates/${tenant.serverCertificate}`).then(ok(204))),
    ).toEqual([`credential/${tenant.serverCertificate}`]);

    // API keys and join tokens reach nothing.
    expect(
      await affectedBy(() => call(t.app, key, 'POST', `/v1/accounts/${account.accountId}/api-keys`, { name: 'k' }).then(ok(201))),
    ).toEqual([]);
    expect(await affectedBy(() => call(t.app, t.adminToken, 'POST', '/v1/edge-join-tokens', {}).then(ok(201)))).toEqual([]);

    // The first use of an account's CA reaches the trust bundles of its sites (bound before the CA existed).
    const other = await createTenant(t, dir, 'late-ca');
    const fresh = await call(t.app, t.adminToken, 'POST', '/v1/accounts', { name: 'late' });
    const lateKey = fresh.body.apiKey.secret;
    const lateSite = await call(t.app, lateKey, 'POST', '/v1/sites', {
      name: `late-${randomBytes(3).toString('hex')}.example.com`,
      originUrl: 'https://o.example.net',
    });
    ok(200)(await call(t.app, lateKey, 'PUT', `/v1/sites/${lateSite.body.id}/ca-bindings/account`, { hostnames: [lateSite.body.name] }));
    const lateTrust = decodeResource('trust', (await builder.build(`trust/${lateSite.body.id}`))!);
    expect(lateTrust).toEqual({ siteId: lateSite.body.id, cas: [], bindings: [] });
    expect(await affectedBy(() => call(t.app, lateKey, 'GET', '/v1/account-ca').then(ok(200)))).toEqual([`trust/${lateSite.body.id}`]);
    expect(decodeResource('trust', (await builder.build(`trust/${lateSite.body.id}`))!).bindings).toEqual([
      { hostname: lateSite.body.name, caIds: [fresh.body.account.id] },
    ]);

    // A site delete: everything under it, and the account CA's revocations (its certificates stay refused).
    const gone = await affectedBy(() => call(t.app, other.account.apiKey, 'DELETE', `/v1/sites/${other.site.id}`).then(ok(204)));
    expect(gone).toEqual(
      [
        `site/${other.site.id}`,
        `trust/${other.site.id}`,
        `waf/${other.site.id}`,
        `credential/${other.serverCertificate}`,
        `revocations/${other.account.accountId}`,
        `revocations/${other.customCa}`,
      ].sort(),
    );
    for (const name of gone.filter((n) => !n.startsWith('revocations/acc'))) expect(await builder.build(name), name).toBeUndefined();
    const kept = decodeResource('revocations', (await builder.build(`revocations/${other.account.accountId}`))!);
    const deleted = (await t.store.list('revocation', `revocations:${other.account.accountId}`, { offset: 0, limit: 10 })).items;
    expect(kept.serials).toEqual(deleted.map((r) => r.data.serialNumber).sort());
  });

  it('always builds a WAF ruleset per site and a revocation set per CA, empty when there is nothing in them', async () => {
    const fresh = await call(t.app, t.adminToken, 'POST', '/v1/accounts', { name: 'empty-sets' });
    const key = fresh.body.apiKey.secret;
    const accountId = fresh.body.account.id;
    const revocations = `revocations/${accountId}`;
    expect(decodeResource('revocations', (await builder.build(revocations))!)).toEqual({ caId: accountId, serials: [] });
    const site = await call(t.app, key, 'POST', '/v1/sites', {
      name: `empty-${randomBytes(3).toString('hex')}.example.com`,
      originUrl: 'https://o.example.net',
    });
    expect(site.status).toBe(201);
    const waf = `waf/${site.body.id}`;
    expect(decodeResource('waf', (await builder.build(waf))!)).toEqual({ siteId: site.body.id, rules: [] });
    expect(await builder.names()).toEqual(expect.arrayContaining([waf, revocations]));

    // Adding then deleting the only rule goes back to the empty ruleset, and each change names it.
    const s = `/v1/sites/${site.body.id}`;
    let ruleId = '';
    expect(
      await affectedBy(async () => {
        const created = await call(t.app, key, 'POST', `${s}/waf-rules`, { expression: 'http.host eq "x"' });
        expect(created.status).toBe(201);
        ruleId = created.body.rule.id;
      }),
    ).toEqual([waf]);
    expect(decodeResource('waf', (await builder.build(waf))!).rules.map((r) => r.id)).toEqual([ruleId]);
    expect(await affectedBy(() => call(t.app, key, 'DELETE', `${s}/waf-rules/${ruleId}`).then((a) => expect(a.status).toBe(204)))).toEqual([
      waf,
    ]);
    expect(decodeResource('waf', (await builder.build(waf))!)).toEqual({ siteId: site.body.id, rules: [] });
  });

  it('builds nothing for names no type has or ids nothing holds', async () => {
    for (const name of ['', 'site/', 'nope/x', 'site/site_missing', 'trust/x', 'credential/srv_x', 'revocations/ca_x', 'waf/site_x']) {
      expect(await builder.build(name), name).toBeUndefined();
    }
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeCa } from './support/pki.ts';
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

describe('hostname bindings', () => {
  let t: TestApp;
  let a: TestAccount;
  let site: TestSite;
  let customCaId: string;
  const url = (caId: string, s = site) => `/v1/sites/${s.id}/ca-bindings/${caId}`;

  beforeAll(async () => {
    t = await buildTestApp();
    a = await createAccount(t);
    site = await createSite(t, a);
    customCaId = (await uploadCustomCa(t, a, site.id, (await makeCa('Binding CA')).certificatePem)).id;
  });
  afterAll(async () => t?.close());

  it('binds hostnames to the account CA ("account"), lower-cased, replacing the previous list; audited', async () => {
    const z = site.name;
    expect((await call(t.app, a.apiKey, 'GET', url('account'))).body).toEqual({ siteId: site.id, caId: 'account', hostnames: [] });
    const set = await call(t.app, a.apiKey, 'PUT', url('account'), { hostnames: [`API.${z}`, z, `*.Dev.${z}`, `XN--BCHER-KVA.${z}`] });
    expect(set.status).toBe(200);
    const expected = [`api.${z}`, z, `*.dev.${z}`, `xn--bcher-kva.${z}`];
    expect(set.body).toEqual({ siteId: site.id, caId: 'account', hostnames: expected });
    expect((await call(t.app, a.apiKey, 'GET', url('account'))).body).toEqual(set.body);
    // The account id names the account CA too.
    expect((await call(t.app, a.apiKey, 'GET', url(a.accountId))).body.hostnames).toEqual(expected);
    const stored = await t.store.get('binding', `${site.id}:${a.accountId}`);
    expect(stored?.data).toMatchObject({ caId: a.accountId, siteId: site.id, accountId: a.accountId, hostnames: expected });
    expect((await auditLog(t, a))[0]).toMatchObject({
      action: 'Binding.Set',
      target: { kind: 'binding', id: `${site.id}:${a.accountId}` },
      details: { caId: a.accountId, hostnames: expected.join(',') },
    });

    const replaced = await call(t.app, a.apiKey, 'PUT', url('account'), { hostnames: [`www.${z}`] });
    expect(replaced.body.hostnames).toEqual([`www.${z}`]);
    const cleared = await call(t.app, a.apiKey, 'PUT', url('account'), { hostnames: [] });
    expect(cleared.status).toBe(200);
    expect(cleared.body.hostnames).toEqual([]);
    expect(await t.store.get('binding', `${site.id}:${a.accountId}`)).toBeUndefined();
  });

  it('binds hostnames to a custom CA of the site; another CA id is NotFound.CaCertificate', async () => {
    const set = await call(t.app, a.apiKey, 'PUT', url(customCaId), { hostnames: [`mtls.${site.name}`] });
    expect(set.status).toBe(200);
    expect(set.body).toEqual({ siteId: site.id, caId: customCaId, hostnames: [`mtls.${site.name}`] });
    expect((await call(t.app, a.apiKey, 'GET', url(customCaId))).body).toEqual(set.body);

    const otherSite = await createSite(t, a);
    const s = await snapshot(t, a);
    expectError(
      await call(t.app, a.apiKey, 'PUT', url('ca_00000000000000000000'), { hostnames: [site.name] }),
      404,
      'NotFound.CaCertificate',
    );
    expectError(await call(t.app, a.apiKey, 'GET', url('ca_00000000000000000000')), 404, 'NotFound.CaCertificate');
    // A custom CA belongs to one site: through another site of the same account it does not exist.
    expectError(
      await call(t.app, a.apiKey, 'PUT', url(customCaId, otherSite), { hostnames: [otherSite.name] }),
      404,
      'NotFound.CaCertificate',
    );
    expectError(await call(t.app, a.apiKey, 'GET', url(customCaId, otherSite)), 404, 'NotFound.CaCertificate');
    expectError(
      await call(t.app, a.apiKey, 'PUT', `/v1/sites/site_00000000000000000000/ca-bindings/account`, { hostnames: [] }),
      404,
      'NotFound.Site',
    );
    await s.expectUnchanged();
  });

  it('takes 50 hostnames and refuses 51: InvalidParameter.TooManyHostnames', async () => {
    const names = Array.from({ length: 51 }, (_, i) => `h${i}.${site.name}`);
    expect((await call(t.app, a.apiKey, 'PUT', url('account'), { hostnames: names.slice(0, 50) })).body.hostnames).toHaveLength(50);
    const s = await snapshot(t, a);
    const refused = await call(t.app, a.apiKey, 'PUT', url('account'), { hostnames: names });
    expectError(refused, 400, 'InvalidParameter.TooManyHostnames');
    expect(refused.body.details).toEqual({ count: 51, max: 50 });
    expectError(
      await call(t.app, a.apiKey, 'PUT', url('account'), { hostnames: Array.from({ length: 1001 }, () => site.name) }),
      400,
      'InvalidParameter.TooManyHostnames',
    );
    await s.expectUnchanged();
  });

  // The wildcard rules (libs/config hostnames.ts): one leading `*.` label, matching exactly one
  // label at the edge like a TLS wildcard; its base must be the zone or under it.
  it.each([
    ['the zone', (z: string) => z, (z: string) => z],
    ['a wildcard over the zone', (z: string) => `*.${z}`, (z: string) => `*.${z}`],
    ['a wildcard deeper in the zone', (z: string) => `*.Deep.Er.${z}`, (z: string) => `*.deep.er.${z}`],
  ])('accepts %s', async (_label, input, output) => {
    const answer = await call(t.app, a.apiKey, 'PUT', url('account'), { hostnames: [input(site.name)] });
    expect(answer.status).toBe(200);
    expect(answer.body.hostnames).toEqual([output(site.name)]);
  });

  it.each([
    ['a bare wildcard', () => '*', 'InvalidParameter.Hostname'],
    ['a partial-label wildcard', (z: string) => `a*.${z}`, 'InvalidParameter.Hostname'],
    ['a wildcard in the middle', (z: string) => `a.*.${z}`, 'InvalidParameter.Hostname'],
    ['two wildcards', (z: string) => `*.*.${z}`, 'InvalidParameter.Hostname'],
    ['a wildcard over the parent zone', (z: string) => `*.${z.split('.').slice(1).join('.')}`, 'InvalidParameter.HostnameNotInSite'],
    ['a wildcard over a TLD', () => '*.com', 'InvalidParameter.Hostname'],
    ['a name of another zone', () => 'www.example.org', 'InvalidParameter.HostnameNotInSite'],
    ['a lookalike suffix', (z: string) => `evil${z}`, 'InvalidParameter.HostnameNotInSite'],
    ['the zone as a prefix', (z: string) => `${z}.evil.net`, 'InvalidParameter.HostnameNotInSite'],
    ['an IPv4 address', () => '192.0.2.10', 'InvalidParameter.Hostname'],
    ['an IPv6 address', () => '[2001:db8::1]', 'InvalidParameter.Hostname'],
    ['an underscore', (z: string) => `a_b.${z}`, 'InvalidParameter.Hostname'],
    ['an empty name', () => '', 'InvalidParameter.Hostname'],
    ['a space', (z: string) => `a b.${z}`, 'InvalidParameter.Hostname'],
    ['a newline', (z: string) => `a\n.${z}`, 'InvalidParameter.Hostname'],
    ['a URL', (z: string) => `https://${z}/`, 'InvalidParameter.Hostname'],
    ['SQL', (z: string) => `${z}'; DROP TABLE docs; --`, 'InvalidParameter.Hostname'],
    ['Lua', () => "redis.call('FLUSHALL')", 'InvalidParameter.Hostname'],
    ['shell', (z: string) => `$(rm -rf /).${z}`, 'InvalidParameter.Hostname'],
    ['a label too long', (z: string) => `${'a'.repeat(64)}.${z}`, 'InvalidParameter.Hostname'],
    ['a trailing dot', (z: string) => `www.${z}.`, 'InvalidParameter.Hostname'],
    ['a Unicode label (IDNs are given as A-labels)', (z: string) => `bücher.${z}`, 'InvalidParameter.Hostname'],
  ])('refuses %s with its code and changes nothing', async (_label, input, code) => {
    const s = await snapshot(t, a);
    const answer = await call(t.app, a.apiKey, 'PUT', url('account'), { hostnames: [`ok.${site.name}`, input(site.name)] });
    expectError(answer, 400, code);
    await s.expectUnchanged();
  });

  it('refuses duplicates after lower-casing: InvalidParameter.DuplicateHostname', async () => {
    const s = await snapshot(t, a);
    const answer = await call(t.app, a.apiKey, 'PUT', url('account'), { hostnames: [`WWW.${site.name}`, `www.${site.name}`] });
    expectError(answer, 400, 'InvalidParameter.DuplicateHostname');
    expect(answer.body.details).toEqual({ hostname: `www.${site.name}` });
    await s.expectUnchanged();
  });

  it('refuses hostnames that are not a list of strings', async () => {
    const s = await snapshot(t, a);
    for (const hostnames of [site.name, [1], [null], { 0: site.name }, null, ['x'.repeat(301)]]) {
      expectError(await call(t.app, a.apiKey, 'PUT', url('account'), { hostnames }), 400, 'InvalidParameter.Hostname');
    }
    expectError(await call(t.app, a.apiKey, 'PUT', url('account'), {}), 400, 'InvalidParameter.Hostname');
    await s.expectUnchanged();
  });
});

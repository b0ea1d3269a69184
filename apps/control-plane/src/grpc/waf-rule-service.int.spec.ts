import { status } from '@grpc/grpc-js';
import type { adminV1 } from '@portcullis/proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectFailure, startAdminFixture, type AdminFixture, type DeepPartial } from './test/admin-fixture.ts';

describe('WafRuleService over gRPC', () => {
  let f: AdminFixture;
  let a: { accountId: string; apiKey: string };
  let b: { accountId: string; apiKey: string };
  let site: adminV1.Site;
  beforeAll(async () => {
    f = await startAdminFixture();
    a = await f.newAccount();
    b = await f.newAccount();
    site = await f.newSite(a.apiKey);
  });
  afterAll(() => f.close());

  it('creates, gets, lists, updates by mask, reorders and deletes rules, each a new version', async () => {
    const waf = f.api.wafRules;
    const first = (
      await waf.createWafRule(
        { siteId: site.id, name: 'mTLS on api', expression: `http.host eq "api.${site.name}" and not ssl.client_cert.verified` },
        a.apiKey,
      )
    ).response;
    expect(first.rule).toMatchObject({
      name: 'mTLS on api',
      enabled: true,
      action: { type: 'block', status: 403, body: '', contentType: '' },
    });
    expect(first.warnings).toEqual([]);
    const second = (
      await waf.createWafRule(
        { siteId: site.id, expression: 'http.request.uri.path starts_with "/health"', action: { type: 'allow' }, position: 0 },
        a.apiKey,
      )
    ).response.rule!;
    const listed = (await waf.listWafRules({ siteId: site.id }, a.apiKey)).response;
    expect(listed.siteId).toBe(site.id);
    expect(listed.rules.map((r) => r.id)).toEqual([second.id, first.rule!.id]);
    expect((await waf.getWafRule({ siteId: site.id, ruleId: second.id }, a.apiKey)).response.rule).toEqual(second);

    const reordered = (await waf.reorderWafRules({ siteId: site.id, ruleIds: [first.rule!.id, second.id] }, a.apiKey)).response;
    expect(reordered.rules.map((r) => r.id)).toEqual([first.rule!.id, second.id]);
    expect(reordered.version).toBeGreaterThan(listed.version);

    const updated = (
      await waf.updateWafRule(
        {
          siteId: site.id,
          ruleId: first.rule!.id,
          enabled: false,
          name: 'ignored',
          action: { type: 'block', status: 451, body: 'no' },
          updateMask: ['enabled', 'action'],
        },
        a.apiKey,
      )
    ).response.rule!;
    expect(updated).toMatchObject({ name: 'mTLS on api', enabled: false, action: { type: 'block', status: 451, body: 'no' } });

    expect((await waf.deleteWafRule({ siteId: site.id, ruleId: second.id }, a.apiKey)).response).toEqual({});
    await expectFailure(waf.getWafRule({ siteId: site.id, ruleId: second.id }, a.apiKey), status.NOT_FOUND, 'NotFound.WafRule');
    await expectFailure(waf.deleteWafRule({ siteId: site.id, ruleId: second.id }, a.apiKey), status.NOT_FOUND, 'NotFound.WafRule');
  });

  it('saves a certificate rule without a hostname condition with a warning', async () => {
    const { response } = await f.api.wafRules.createWafRule(
      { siteId: site.id, expression: 'not ssl.client_cert.verified', enabled: false },
      a.apiKey,
    );
    expect(response.rule!.enabled).toBe(false);
    expect(response.warnings.map((w) => w.code)).toContain('Waf.CertWithoutHost');
  });

  it('refuses rules the edge could not compile, bad actions and bad masks', async () => {
    const waf = f.api.wafRules;
    const create = (request: DeepPartial<adminV1.CreateWafRuleRequest>) => waf.createWafRule({ siteId: site.id, ...request }, a.apiKey);
    const typed = await expectFailure(create({ expression: 'http.host eq 5' }), status.INVALID_ARGUMENT, 'Waf.TypeMismatch');
    expect(typed.details).toContain('^');
    await expectFailure(create({ expression: 'http.nope eq "x"' }), status.INVALID_ARGUMENT, 'Waf.UnknownField');
    await expectFailure(create({ expression: '' }), status.INVALID_ARGUMENT, 'InvalidParameter');
    await expectFailure(create({ expression: 'x'.repeat(8193) }), status.INVALID_ARGUMENT, 'InvalidParameter');
    await expectFailure(create({ expression: 'ssl', name: 'x'.repeat(129) }), status.INVALID_ARGUMENT, 'InvalidParameter.Name');
    await expectFailure(create({ expression: 'ssl', action: { type: 'block', status: 200 } }), status.INVALID_ARGUMENT, 'InvalidParameter');
    await expectFailure(create({ expression: 'ssl', action: { type: 'deny' } }), status.INVALID_ARGUMENT, 'InvalidParameter');
    await expectFailure(create({ expression: 'ssl', action: { type: 'log', status: 403 } }), status.INVALID_ARGUMENT, 'InvalidParameter');

    const ruleId = (await create({ expression: 'ssl' })).response.rule!.id;
    const update = (request: DeepPartial<adminV1.UpdateWafRuleRequest>) =>
      waf.updateWafRule({ siteId: site.id, ruleId, ...request }, a.apiKey);
    await expectFailure(update({ updateMask: [] }), status.INVALID_ARGUMENT, 'InvalidParameter');
    await expectFailure(update({ updateMask: ['priority'] }), status.INVALID_ARGUMENT, 'InvalidParameter');
    await expectFailure(update({ updateMask: ['action'] }), status.INVALID_ARGUMENT, 'InvalidParameter');
    await expectFailure(update({ updateMask: ['expression'], expression: 'http.host eq' }), status.INVALID_ARGUMENT, 'Waf.Syntax');
    await expectFailure(
      waf.reorderWafRules({ siteId: site.id, ruleIds: ['rule_nope'] }, a.apiKey),
      status.INVALID_ARGUMENT,
      'InvalidParameter',
    );
  });

  it('tests an expression or the ruleset against a sample request', async () => {
    const host = `secure.${site.name}`;
    const test = (request: DeepPartial<adminV1.TestWafRulesRequest>) =>
      f.api.wafRules.testWafRules({ siteId: site.id, ...request }, a.apiKey);
    const blocked = (await test({ expression: `http.host eq "${host}" and not ssl.client_cert.verified`, request: { host } })).response;
    expect(blocked).toMatchObject({
      action: 'block',
      ruleId: 'test',
      status: 403,
      logged: [],
      clientCert: { presented: false, error: 'none' },
    });

    const issued = (await f.api.clientCertificates.createClientCertificate({ siteId: site.id }, a.apiKey)).response.clientCertificate!;
    await f.api.customCas.setClientCaCertificateHostnames({ siteId: site.id, id: '', hostnames: [host] }, a.apiKey);
    const verified = (
      await test({
        expression: `http.host eq "${host}" and not ssl.client_cert.verified`,
        request: { host, certificatePem: issued.certificate },
      })
    ).response;
    expect(verified).toMatchObject({
      action: 'pass',
      ruleId: '',
      status: 0,
      clientCert: { presented: true, chainVerified: true, revoked: false, error: '' },
    });

    const zone = await f.newSite(a.apiKey);
    const rule = (
      await f.api.wafRules.createWafRule(
        {
          siteId: zone.id,
          expression: 'http.request.uri.path starts_with "/admin" and http.request.headers["x-debug"] eq "1"',
          action: { type: 'block', status: 404 },
        },
        a.apiKey,
      )
    ).response.rule!;
    const run = (request: DeepPartial<adminV1.SampleRequest>) =>
      f.api.wafRules.testWafRules({ siteId: zone.id, request: { host: zone.name, ...request } }, a.apiKey);
    expect((await run({ uri: '/admin/x', headers: [{ name: 'X-Debug', values: ['1'] }] })).response).toMatchObject({
      action: 'block',
      ruleId: rule.id,
      status: 404,
    });
    expect((await run({ uri: '/admin/x' })).response).toMatchObject({ action: 'pass', ruleId: '' });

    await expectFailure(f.api.wafRules.testWafRules({ siteId: zone.id }, a.apiKey), status.INVALID_ARGUMENT, 'InvalidParameter');
    await expectFailure(run({ host: '' }), status.INVALID_ARGUMENT, 'InvalidParameter.SampleRequest');
    await expectFailure(run({ uri: 'no-slash' }), status.INVALID_ARGUMENT, 'InvalidParameter.SampleRequest');
    await expectFailure(
      run({ headers: [{ name: 'a', values: Array.from({ length: 33 }, () => 'v') }] }),
      status.INVALID_ARGUMENT,
      'InvalidParameter.SampleRequest',
    );
  });

  it('hides another account’s rules', async () => {
    const ruleId = (await f.api.wafRules.listWafRules({ siteId: site.id }, a.apiKey)).response.rules[0]!.id;
    const waf = f.api.wafRules;
    await expectFailure(waf.listWafRules({ siteId: site.id }, b.apiKey), status.NOT_FOUND, 'NotFound.Site');
    await expectFailure(waf.getWafRule({ siteId: site.id, ruleId }, b.apiKey), status.NOT_FOUND, 'NotFound.Site');
    await expectFailure(waf.createWafRule({ siteId: site.id, expression: 'ssl' }, b.apiKey), status.NOT_FOUND, 'NotFound.Site');
    await expectFailure(
      waf.updateWafRule({ siteId: site.id, ruleId, enabled: true, updateMask: ['enabled'] }, b.apiKey),
      status.NOT_FOUND,
      'NotFound.Site',
    );
    await expectFailure(waf.deleteWafRule({ siteId: site.id, ruleId }, b.apiKey), status.NOT_FOUND, 'NotFound.Site');
    await expectFailure(waf.reorderWafRules({ siteId: site.id, ruleIds: [ruleId] }, b.apiKey), status.NOT_FOUND, 'NotFound.Site');
    await expectFailure(waf.testWafRules({ siteId: site.id, request: { host: site.name } }, b.apiKey), status.NOT_FOUND, 'NotFound.Site');
  });
});

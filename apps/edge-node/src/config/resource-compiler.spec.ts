import { encodeResource, versionOf, type EncodedResource } from '@portcullis/config';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileResource } from './resource-compiler.ts';
import { credentialResource, revocationsResource, siteResource, trustResource, wafResource } from '../test/resources.ts';
import { createTestPki, type TestCertificate, type TestPki } from '../test/test-pki.ts';

function codeOf(result: ReturnType<typeof compileResource>): string {
  return result.ok ? 'ok' : `${result.error.code}: ${result.error.message}`;
}

describe('resource compiler', () => {
  let pki: TestPki;
  let server: TestCertificate;
  let other: TestCertificate;
  let caPem: string;
  let leafPem: string;

  beforeAll(async () => {
    pki = await createTestPki();
    server = await pki.serverCertificate(['api.example.com', '*.example.com']);
    other = await pki.serverCertificate(['api.example.com']);
    const ca = await pki.clientCa('Client CA');
    caPem = ca.certificatePem;
    leafPem = (await pki.clientCertificate(ca, 'alice')).chainPem;
  });
  afterAll(() => pki.remove());

  it('compiles a site, and refuses bad zones and origins', () => {
    const site = compileResource('site', siteResource('s1', 'example.com', 'https://origin.example.net:8443/base').resource);
    expect(site.ok && site.value.origin.port).toBe('8443');
    expect(codeOf(compileResource('site', siteResource('s1', 'Example.com', 'http://o').resource))).toMatch(/^Resource.Invalid: .*zone/);
    expect(codeOf(compileResource('site', siteResource('s1', 'example.com', 'ftp://o').resource))).toMatch(/http or https/);
    expect(codeOf(compileResource('site', siteResource('s1', 'example.com', 'not a url').resource))).toMatch(/not a URL/);
    expect(codeOf(compileResource('site', siteResource('s1', 'example.com', 'http://u:p@o').resource))).toMatch(/credentials/);
  });

  it('refuses a resource whose name is not the one its content implies, and a torn body', () => {
    const site = siteResource('s1', 'example.com', 'http://o').resource;
    expect(codeOf(compileResource('site', { ...site, name: 'site/s2' }))).toMatch(/^Resource.NameMismatch/);
    const torn: EncodedResource = { ...site, body: site.body.subarray(1) };
    expect(codeOf(compileResource('site', torn))).toMatch(/^Resource.VersionMismatch/);
    const garbage = new Uint8Array([0xff, 0xff, 0xff]);
    expect(codeOf(compileResource('site', { name: 'site/x', version: versionOf(garbage), body: garbage }))).toMatch(/^Resource.Malformed/);
  });

  it('compiles a trust bundle into exact and wildcard bindings', () => {
    const result = compileResource(
      'trust',
      trustResource('s1', { ca_a: caPem }, { 'api.example.com': ['ca_a'], '*.example.com': ['ca_a'] }).resource,
    );
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect([...result.value.exact]).toEqual([['api.example.com', ['ca_a']]]);
    expect([...result.value.wildcard]).toEqual([['example.com', ['ca_a']]]);
    expect(result.value.cas.get('ca_a')!.fingerprintSha256).toMatch(/^[0-9a-f]{64}$/);
  });

  it('refuses bundles with unknown CA ids, non-CA certificates, bad hostnames or duplicate bindings', () => {
    expect(codeOf(compileResource('trust', trustResource('s1', { ca_a: caPem }, { 'api.example.com': ['ca_b'] }).resource))).toMatch(
      /names CA "ca_b"/,
    );
    expect(codeOf(compileResource('trust', trustResource('s1', { ca_a: leafPem }, {}).resource))).toMatch(/^Resource.Invalid/);
    expect(codeOf(compileResource('trust', trustResource('s1', { ca_a: 'junk' }, {}).resource))).toMatch(/^Resource.Invalid/);
    expect(codeOf(compileResource('trust', trustResource('s1', { ca_a: caPem }, { 'a.*.example.com': ['ca_a'] }).resource))).toMatch(
      /not a hostname/,
    );
    const twice = encodeResource('trust', 'trust/s1', {
      siteId: 's1',
      cas: [{ id: 'ca_a', certificatePem: caPem }],
      bindings: [
        { hostname: 'a.example.com', caIds: ['ca_a'] },
        { hostname: 'a.example.com', caIds: ['ca_a'] },
      ],
    });
    expect(codeOf(compileResource('trust', twice))).toMatch(/bound twice/);
  });

  it('compiles a credential with a context, and refuses a key that is not the leaf’s or a name it does not cover', () => {
    const good = compileResource('credential', credentialResource('c1', 's1', ['api.example.com', '*.example.com'], server).resource);
    expect(good.ok).toBe(true);
    if (good.ok) {
      expect([...good.value.exact]).toEqual(['api.example.com']);
      expect([...good.value.wildcard]).toEqual(['example.com']);
      expect(good.value.plainContext).toBeDefined();
    }
    const mismatched = { chainPem: server.chainPem, keyPem: other.keyPem };
    expect(codeOf(compileResource('credential', credentialResource('c1', 's1', ['api.example.com'], mismatched).resource))).toMatch(
      /^Resource.Invalid/,
    );
    expect(codeOf(compileResource('credential', credentialResource('c1', 's1', ['www.example.org'], server).resource))).toMatch(
      /does not name www.example.org/,
    );
    expect(
      codeOf(compileResource('credential', credentialResource('c1', 's1', ['api.example.com'], { chainPem: 'x', keyPem: 'y' }).resource)),
    ).toMatch(/no PEM certificate/);
  });

  it('normalises revoked serials and refuses non-hex ones', () => {
    const result = compileResource('revocations', revocationsResource('ca_a', ['00ff01', '0A']).resource);
    expect(result.ok && [...result.value.serials]).toEqual(['ff01', '0a']);
    expect(codeOf(compileResource('revocations', revocationsResource('ca_a', ['xyz']).resource))).toMatch(/not hex/);
  });

  it('compiles a WAF ruleset, and refuses one whose rule does not parse, naming the rule', () => {
    const ok = compileResource('waf', wafResource('s1', [{ id: 'r1', expression: 'not ssl.client_cert.verified', status: 403 }]).resource);
    expect(ok.ok && ok.value.ruleset.rules.map((r) => r.id)).toEqual(['r1']);
    expect(codeOf(compileResource('waf', wafResource('s1', [{ id: 'r2', expression: 'http.host eq' }]).resource))).toMatch(
      /^Resource.Invalid: waf\/s1: rules do not compile: r2:/,
    );
    expect(codeOf(compileResource('waf', wafResource('s1', [{ id: 'r3', expression: 'ssl', action: 'log' }]).resource))).toBe('ok');
    expect(codeOf(compileResource('waf', wafResource('s1', [{ id: 'r4', expression: 'ssl', status: 200 }]).resource))).toMatch(
      /400 to 599/,
    );
  });
});

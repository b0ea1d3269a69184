import { X509Certificate } from 'node:crypto';
import type { ResourceType } from '@portcullis/config';
import type { CreatedCertificateAuthority } from '@portcullis/pki';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConfigSnapshot } from '../config/config-snapshot.ts';
import { createConfigStore } from '../config/config-store.ts';
import {
  credentialResource,
  revocationsResource,
  siteResource,
  trustResource,
  wafResource,
  type TypedResource,
} from '../test/resources.ts';
import { createTestPki, type TestCertificate, type TestPki } from '../test/test-pki.ts';
import { createConnectionFacts, type ConnectionFacts } from './connection-facts.ts';
import { decide, maxHeaderFields, type RequestOutcome } from './decide.ts';

/** A snapshot holding exactly `items` (every type delivered, even empty). */
function snapshotOf(...items: TypedResource[]): ConfigSnapshot {
  const store = createConfigStore();
  for (const type of ['site', 'credential', 'trust', 'revocations', 'waf'] as const satisfies readonly ResourceType[]) {
    store.apply(
      type,
      items.filter((item) => item.type === type).map((item) => item.resource),
      [],
    );
  }
  return store.current!;
}

describe('request decision', () => {
  let pki: TestPki;
  let accountCa: CreatedCertificateAuthority;
  let customCa: CreatedCertificateAuthority;
  let alice: TestCertificate & { serial: string };
  let mallory: TestCertificate & { serial: string };
  let resources: Record<'site' | 'forwarding' | 'credential' | 'credentialB' | 'trust' | 'waf' | 'acct' | 'custom', TypedResource>;
  let snapshot: ConfigSnapshot;
  const now = new Date();
  const rule = 'http.host in {"api.example.com" "custom.example.com"} and not ssl.client_cert.verified';

  beforeAll(async () => {
    pki = await createTestPki();
    [accountCa, customCa] = await Promise.all([pki.clientCa('Account CA'), pki.clientCa('Custom CA')]);
    const stranger = await pki.clientCa('Stranger CA');
    [alice, mallory] = await Promise.all([pki.clientCertificate(accountCa, 'alice'), pki.clientCertificate(stranger, 'mallory')]);
    const serverCert = await pki.serverCertificate(['example.com', '*.example.com']);
    const otherCert = await pki.serverCertificate(['other.test', '*.other.test']);
    resources = {
      site: siteResource('s1', 'example.com', 'http://127.0.0.1:9/', false),
      forwarding: siteResource('s2', 'other.test', 'https://origin.other.test/', true),
      credential: credentialResource('c1', 's1', ['example.com', '*.example.com'], serverCert),
      credentialB: credentialResource('c2', 's2', ['other.test', '*.other.test'], otherCert),
      trust: trustResource(
        's1',
        { acct_1: accountCa.certificatePem, ca_custom: customCa.certificatePem },
        { 'api.example.com': ['acct_1'], 'custom.example.com': ['ca_custom'] },
      ),
      waf: wafResource('s1', [
        {
          id: 'teapot',
          expression: 'http.request.uri.path eq "/teapot"',
          status: 418,
          body: '{"short":true}',
          contentType: 'application/json',
        },
        { id: 'watch', expression: 'http.request.uri.path eq "/watched"', action: 'log' },
        { id: 'open', expression: 'http.request.uri.path eq "/open"', action: 'allow' },
        { id: 'require-mtls', expression: rule },
      ]),
      acct: revocationsResource('acct_1', []),
      custom: revocationsResource('ca_custom', []),
    };
    snapshot = snapshotOf(
      ...Object.values(resources),
      trustResource('s2', { acct_1: accountCa.certificatePem }, { 'api.other.test': ['acct_1'] }),
      wafResource('s2', []),
    );
  });
  afterAll(() => pki.remove());

  /** A connection whose peer certificate reads are counted. */
  function connection(serverName: string, certificate?: TestCertificate, requested = certificate !== undefined) {
    const reads = { count: 0 };
    const der = certificate ? new X509Certificate(certificate.chainPem).raw : undefined;
    const facts: ConnectionFacts = createConnectionFacts({
      serverName,
      requestedCertificate: requested,
      remoteAddress: '192.0.2.7',
      peerCertificate: () => {
        reads.count++;
        return der;
      },
    });
    return { facts, reads };
  }
  const head = (target: string, ...rawHeaders: string[]) => ({ requestId: 'req-1', method: 'GET', target, rawHeaders });
  const forwarded = (outcome: RequestOutcome) => {
    if (outcome.kind !== 'forward') throw new Error(`expected forward, got ${JSON.stringify(outcome)}`);
    return outcome;
  };

  it('refuses without a configuration or outside the TLS front, and closes', () => {
    const www = connection('www.example.com').facts;
    expect(decide(undefined, www, head('/', 'Host', 'www.example.com'), now)).toMatchObject({
      kind: 'refuse',
      status: 421,
      reason: 'not-served',
      close: true,
    });
    expect(decide(snapshot, undefined, head('/'), now)).toMatchObject({ kind: 'refuse', status: 421, reason: 'not-served', close: true });
  });

  it('refuses heads it cannot read one way only, and closes: too many fields, two Host, absolute-form, a Host that is no hostname', () => {
    const www = connection('www.example.com').facts;
    const fields = (n: number) => Array.from({ length: n }, (_, i) => [`X-F${i}`, 'v']).flat();
    expect(decide(snapshot, www, head('/', 'Host', 'www.example.com', ...fields(maxHeaderFields - 1)), now).kind).toBe('forward');
    expect(decide(snapshot, www, head('/', 'Host', 'www.example.com', ...fields(maxHeaderFields)), now)).toMatchObject({
      status: 431,
      reason: 'too-many-header-fields',
      close: true,
    });
    expect(decide(snapshot, www, head('/', 'Host', 'www.example.com', 'HOST', 'www.example.com'), now)).toMatchObject({
      status: 400,
      reason: 'duplicate-host',
      close: true,
    });
    for (const target of ['http://www.example.com/', '*', 'www.example.com:443'])
      expect(decide(snapshot, www, head(target, 'Host', 'www.example.com'), now)).toMatchObject({
        status: 400,
        reason: 'not-origin-form',
        close: true,
      });
    for (const host of ['user@www.example.com', '127.0.0.1', 'www.example.com/x', '[::1]', 'a b'])
      expect(decide(snapshot, www, head('/', 'Host', host), now)).toMatchObject({ status: 400, reason: 'bad-host', close: true });
  });

  it('routes by Host, or by the server name without one; a port and a trailing dot in Host are the same name', () => {
    const www = connection('www.example.com').facts;
    expect(forwarded(decide(snapshot, www, head('/'), now)).host).toBe('www.example.com');
    const outcome = forwarded(decide(snapshot, www, head('/a?b=1', 'host', 'WWW.example.com.:443'), now));
    expect(outcome).toMatchObject({ host: 'www.example.com', site: { id: 's1' }, close: false });
    expect(outcome.origin.href).toBe('http://127.0.0.1:9/');
    expect(outcome.headers['x-forwarded-host']).toBe('WWW.example.com.:443');
  });

  it('answers 421 when Host and SNI differ and either name has mTLS, and when Host is served by no site', () => {
    const api = connection('api.example.com', alice).facts;
    const www = connection('www.example.com').facts;
    const mismatch = { kind: 'refuse', status: 421, reason: 'host-mismatch', close: false };
    expect(decide(snapshot, api, head('/', 'Host', 'www.example.com'), now)).toMatchObject(mismatch);
    expect(decide(snapshot, www, head('/', 'Host', 'api.example.com'), now)).toMatchObject(mismatch);
    expect(decide(snapshot, www, head('/', 'Host', 'shop.example.com'), now)).toMatchObject({ kind: 'forward', host: 'shop.example.com' });
    expect(decide(snapshot, www, head('/', 'Host', 'nowhere.org'), now)).toMatchObject({ status: 421, reason: 'no-site', close: false });
  });

  it('refuses the names servability refuses: mTLS names of a site missing a revocation set, every name of one missing its rules', () => {
    const { custom: _custom, ...rest } = resources;
    const partial = snapshotOf(...Object.values(rest));
    expect(partial.servability('custom.example.com')).toMatchObject({ servable: false, reason: 'site-incomplete' });
    const custom = connection('custom.example.com', alice).facts;
    expect(decide(partial, custom, head('/'), now)).toMatchObject({ status: 421, reason: 'site-incomplete', close: true });
    const www = connection('www.example.com').facts;
    expect(decide(partial, www, head('/', 'Host', 'custom.example.com'), now)).toMatchObject({ status: 421, reason: 'site-incomplete' });
    expect(decide(partial, www, head('/'), now).kind).toBe('forward');
    const { waf: _waf, ...noRules } = resources;
    expect(decide(snapshotOf(...Object.values(noRules)), www, head('/'), now)).toMatchObject({
      status: 421,
      reason: 'site-incomplete',
      close: true,
    });
    expect(decide(snapshot, connection('www.other.test').facts, head('/', 'Host', 'www.other.test'), now).kind).toBe('forward');
    expect(decide(snapshot, www, head('/', 'Host', 'gone.example.net'), now)).toMatchObject({ reason: 'no-site' });
  });

  it('runs the WAF: block with the rule’s status, body and type; log and continue; allow; pass', () => {
    const anonymous = connection('api.example.com', undefined, true).facts;
    expect(decide(snapshot, anonymous, head('/'), now)).toMatchObject({
      kind: 'block',
      response: { status: 403 },
      decision: { ruleId: 'require-mtls' },
      clientCert: { presented: false, error: 'none' },
    });
    expect(decide(snapshot, anonymous, head('/teapot'), now)).toMatchObject({
      kind: 'block',
      response: { status: 418, body: '{"short":true}', contentType: 'application/json' },
    });
    expect(decide(snapshot, anonymous, head('/open'), now)).toMatchObject({
      kind: 'forward',
      decision: { action: 'allow', ruleId: 'open' },
    });
    const api = connection('api.example.com', alice).facts;
    expect(decide(snapshot, api, head('/watched'), now)).toMatchObject({
      kind: 'forward',
      decision: { action: 'pass', logged: ['watch'] },
    });
    expect(decide(snapshot, connection('api.example.com', mallory).facts, head('/'), now)).toMatchObject({
      kind: 'block',
      clientCert: { presented: true, chainVerified: false, error: 'untrusted' },
    });
  });

  it('re-checks revocation on every request of a kept-alive connection, parsing the certificate once', () => {
    const { facts, reads } = connection('api.example.com', alice);
    const store = createConfigStore();
    for (const type of ['site', 'credential', 'trust', 'revocations', 'waf'] as const)
      store.apply(
        type,
        Object.values(resources)
          .filter((item) => item.type === type)
          .map((item) => item.resource),
        [],
      );
    expect(forwarded(decide(store.current, facts, head('/'), now)).headers['x-client-cert-verified']).toBe('SUCCESS');
    store.apply('revocations', [revocationsResource('acct_1', [alice.serial]).resource], []);
    expect(decide(store.current, facts, head('/'), now)).toMatchObject({
      kind: 'block',
      clientCert: { chainVerified: true, revoked: true, error: 'revoked' },
    });
    store.apply('revocations', [resources.acct.resource], []);
    expect(decide(store.current, facts, head('/'), now).kind).toBe('forward');
    expect(store.current!.generation).toBe(3);
    expect(reads.count).toBe(1);
  });

  it('stops counting a certificate as verified once it expires on a kept-alive connection', () => {
    const api = connection('api.example.com', alice).facts;
    const verified = forwarded(decide(snapshot, api, head('/'), now));
    const notAfter = verified.clientCert.notAfter;
    expect(decide(snapshot, api, head('/'), new Date(notAfter * 1000))).toMatchObject({ kind: 'forward' });
    expect(decide(snapshot, api, head('/'), new Date((notAfter + 1) * 1000))).toMatchObject({
      kind: 'block',
      clientCert: { chainVerified: false, error: 'expired' },
    });
  });

  it('forwards the certificate facts and strips every look-alike of the edge’s headers; Client-Cert only to sites that ask', () => {
    const api = connection('api.example.com', alice).facts;
    const spoofed = [
      'X-Client-Cert-Verified',
      'SUCCESS',
      'x_client_cert_serial',
      'ff',
      'Client-Cert',
      ':Zm9yZ2Vk:',
      'X-Forwarded-For',
      '203.0.113.1',
    ];
    const outcome = forwarded(
      decide(snapshot, api, head('/', 'Host', 'api.example.com', ...spoofed, 'Content_Length', '3', 'Accept', 'a', 'accept', 'b'), now),
    );
    expect(outcome.headers).toMatchObject({
      'x-client-cert-verified': 'SUCCESS',
      'x-client-cert-serial': alice.serial,
      'x-client-cert-subject': 'CN=alice',
      'x-forwarded-for': '192.0.2.7',
      'x-forwarded-proto': 'https',
      'x-request-id': 'req-1',
      accept: ['a', 'b'],
    });
    expect(outcome.headers).not.toHaveProperty('client-cert');
    expect(Object.keys(outcome.headers).filter((name) => name.includes('_'))).toEqual([]);
    const der = new X509Certificate(alice.chainPem).raw.toString('base64');
    const other = forwarded(decide(snapshot, connection('api.other.test', alice).facts, head('/'), now));
    expect(other.headers).toMatchObject({ 'client-cert': `:${der}:`, 'x-client-cert-verified': 'SUCCESS' });
    const plain = forwarded(decide(snapshot, connection('www.example.com').facts, head('/', 'X-Client-Cert-Verified', 'SUCCESS'), now));
    expect(plain.headers['x-client-cert-verified']).toBe('NONE');
  });

  it('answers and closes when the name gained mTLS after the handshake, which asked for no certificate', () => {
    const before = connection('api.example.com', undefined, false);
    expect(decide(snapshot, before.facts, head('/'), now)).toMatchObject({ kind: 'block', close: true, clientCert: { presented: false } });
    expect(before.reads.count).toBe(0);
  });
});

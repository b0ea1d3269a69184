import { RE2JS } from 're2js';
import { describe, expect, it, vi } from 'vitest';
import { compileExpression, utf8Length } from './compiler.ts';
import { parseExpression } from './parser.ts';
import type { RequestFacts } from './request-facts.ts';
import { compileRuleset } from './ruleset.ts';
import { WAF_FIELDS } from './scheme.ts';
import { cert, request } from './test/facts.ts';

const matches = (source: string, facts: RequestFacts = request()) => compileExpression(source).matches(facts);

describe('compileExpression', () => {
  it('evaluates the typical mTLS rule', () => {
    const rule = compileExpression('http.host eq "a.example.com" and not ssl.client_cert.verified');
    expect(rule.matches(request())).toBe(true);
    expect(rule.matches(request({ clientCert: cert() }))).toBe(false);
    expect(rule.matches(request({ clientCert: cert({ revoked: true, error: 'revoked' }) }))).toBe(true);
    expect(rule.matches(request({ host: 'b.example.com' }))).toBe(false);
  });

  describe('String operators', () => {
    const facts = request({ path: '/api/v2/users' });
    it.each([
      ['eq "/api/v2/users"', true],
      ['eq "/API/v2/users"', false],
      ['ne "/api/v2/users"', false],
      ['ne "/x"', true],
      ['lt "/b"', true],
      ['lt "/api/v2/users"', false],
      ['le "/api/v2/users"', true],
      ['gt "/a"', true],
      ['gt "/b"', false],
      ['ge "/api/v2/users"', true],
      ['contains "v2"', true],
      ['contains "v3"', false],
      [String.raw`matches r"^/api/v\d+/"`, true],
      ['matches "^/users"', false],
      ['in {"/x" "/api/v2/users"}', true],
      ['in {"/x" "/y"}', false],
      ['starts_with "/api/"', true],
      ['starts_with "/users"', false],
      ['ends_with "/users"', true],
      ['ends_with "/api"', false],
    ])('http.request.uri.path %s → %s', (rest, expected) => {
      expect(matches(`http.request.uri.path ${rest}`, facts)).toBe(expected);
    });
  });

  describe('Int operators', () => {
    const facts = request({ clientCert: cert({ notAfter: 1000 }) });
    it.each([
      ['eq 1000', true],
      ['ne 1000', false],
      ['lt 1001', true],
      ['lt 1000', false],
      ['le 1000', true],
      ['gt 999', true],
      ['gt 1000', false],
      ['ge 1000', true],
      ['in {1 2 1000}', true],
      ['in {1 2 3}', false],
      ['in {5 900..1100}', true],
      ['in {1000..1000}', true],
      ['in {1001..2000 0..999}', false],
    ])('ssl.client_cert.not_after %s → %s', (rest, expected) => {
      expect(matches(`ssl.client_cert.not_after ${rest}`, facts)).toBe(expected);
    });
  });

  describe('Bool and logical operators', () => {
    it('compares and negates Bools', () => {
      expect(matches('ssl eq true')).toBe(true);
      expect(matches('ssl eq false')).toBe(false);
      expect(matches('ssl ne false')).toBe(true);
      expect(matches('ssl')).toBe(true);
      expect(matches('not ssl')).toBe(false);
      expect(matches('!ssl', request({ tls: false }))).toBe(true);
    });

    it.each([
      ['ssl and ssl and not ssl', false],
      ['ssl and ssl and ssl', true],
      ['not ssl or not ssl or ssl', true],
      ['not ssl or not ssl', false],
      ['ssl xor ssl', false],
      ['ssl xor not ssl', true],
      ['ssl xor ssl xor ssl', true],
      ['not (ssl and not ssl)', true],
    ])('%s → %s', (source, expected) => {
      expect(matches(source)).toBe(expected);
    });
  });

  describe('IP addresses', () => {
    it.each([
      ['192.0.2.10', 'ip.src eq 192.0.2.10', true],
      ['192.0.2.10', 'ip.src eq 192.0.2.11', false],
      ['192.0.2.10', 'ip.src ne 192.0.2.11', true],
      ['192.0.2.10', 'ip.src in {192.0.2.0/24}', true],
      ['192.0.2.10', 'ip.src in {192.0.3.0/24 10.0.0.0/8}', false],
      ['192.0.2.10', 'ip.src in {0.0.0.0/0}', true],
      ['192.0.2.10', 'ip.src in {::/0}', false],
      ['::ffff:192.0.2.10', 'ip.src eq 192.0.2.10', true],
      ['::ffff:192.0.2.10', 'ip.src in {192.0.2.0/24}', true],
      ['2001:db8::1', 'ip.src eq 2001:DB8:0::1', true],
      ['2001:db8::1', 'ip.src in {2001:db8::/32}', true],
      ['2001:db8::1', 'ip.src in {2001:db9::/32 10.0.0.0/8}', false],
      ['fe80::1%eth0', 'ip.src in {fe80::/10}', true],
      ['0.0.0.1', 'ip.src eq ::1', false],
      ['not-an-ip', 'ip.src eq 192.0.2.10', false],
      ['not-an-ip', 'ip.src ne 192.0.2.10', false],
      ['', 'ip.src in {0.0.0.0/0 ::/0}', false],
    ])('source %s: %s → %s', (sourceIp, source, expected) => {
      expect(matches(source, request({ sourceIp }))).toBe(expected);
    });
  });

  describe('headers (Array<String>): any value', () => {
    const facts = request({ headers: { accept: ['text/html', 'Application/JSON'], 'x-empty': [''], constructor: undefined } });
    it.each([
      ['http.request.headers["accept"] eq "text/html"', true],
      ['http.request.headers["Accept"] eq "application/json"', false],
      ['lower(http.request.headers["ACCEPT"]) eq "application/json"', true],
      ['http.request.headers["accept"] ne "text/html"', true],
      ['http.request.headers["accept"] contains "JSON"', true],
      [String.raw`http.request.headers["accept"] matches r"^text/"`, true],
      ['http.request.headers["accept"] in {"a" "text/html"}', true],
      ['starts_with(http.request.headers["accept"], "Appl")', true],
      ['ends_with(http.request.headers["accept"], "xml")', false],
      ['http.request.headers["accept"] lt "b"', true],
      ['len(http.request.headers["accept"]) eq 2', true],
      ['len(http.request.headers["x-empty"]) eq 1', true],
      ['http.request.headers["x-missing"] eq ""', false],
      ['http.request.headers["x-missing"] ne "a"', false],
      ['len(http.request.headers["x-missing"]) eq 0', true],
      ['len(http.request.headers["constructor"]) eq 0', true],
      ['len(http.request.headers["__proto__"]) eq 0', true],
    ])('%s → %s', (source, expected) => {
      expect(matches(source, facts)).toBe(expected);
    });
  });

  describe('functions', () => {
    it('lower() and len() of Strings; len counts UTF-8 bytes', () => {
      expect(matches('lower(http.user_agent) contains "curl"', request({ userAgent: 'CURL/8' }))).toBe(true);
      expect(matches('len(http.user_agent) eq 6', request({ userAgent: 'CURL/8' }))).toBe(true);
      expect(matches('len(http.user_agent) eq 7', request({ userAgent: 'é😀!' }))).toBe(true);
      expect(utf8Length('\ud800x')).toBe(4);
      expect(utf8Length('')).toBe(0);
    });
  });

  describe('http.host is case-insensitive', () => {
    it.each([
      'http.host eq "A.Example.COM"',
      'http.host in {"x" "A.EXAMPLE.COM"}',
      'ends_with(http.host, ".EXAMPLE.com")',
      'http.host contains "Example"',
      'lower(http.host) eq "A.example.com"',
      'not http.host ne "A.EXAMPLE.COM"',
    ])('%s matches a.example.com', (source) => {
      expect(matches(source)).toBe(true);
    });

    it('except in regexes, which opt in with (?i)', () => {
      expect(matches('http.host matches "^A"')).toBe(false);
      expect(matches('http.host matches "(?i)^A"')).toBe(true);
    });
  });

  describe('fields', () => {
    const full = request({
      host: 'h.example.com',
      method: 'POST',
      path: '/p',
      query: 'a=1',
      userAgent: 'ua',
      headers: { 'x-a': ['1'] },
      sourceIp: '2001:db8::5',
      tls: true,
      clientCert: cert({
        serial: '0f',
        fingerprintSha256: 'ff00',
        subjectDn: 'CN=s',
        issuerDn: 'CN=i',
        issuerSki: 'aa',
        notBefore: 1_647_869_700,
        notAfter: 1_679_405_700,
        revoked: true,
        error: 'revoked',
      }),
    });
    const cases: Record<string, string> = {
      'http.host': 'http.host eq "h.example.com"',
      'http.request.method': 'http.request.method eq "POST"',
      'http.request.uri': 'http.request.uri eq "/p?a=1"',
      'http.request.uri.path': 'http.request.uri.path eq "/p"',
      'http.request.uri.query': 'http.request.uri.query eq "a=1"',
      'http.user_agent': 'http.user_agent eq "ua"',
      'http.request.headers': 'http.request.headers["x-a"] eq "1"',
      'ip.src': 'ip.src eq 2001:db8::5',
      ssl: 'ssl',
      'ssl.client_cert.presented': 'ssl.client_cert.presented',
      'ssl.client_cert.verified': 'not ssl.client_cert.verified',
      'ssl.client_cert.revoked': 'ssl.client_cert.revoked',
      'ssl.client_cert.serial': 'ssl.client_cert.serial eq "0F"',
      'ssl.client_cert.fingerprint_sha256': 'ssl.client_cert.fingerprint_sha256 eq "ff00"',
      'ssl.client_cert.subject_dn': 'ssl.client_cert.subject_dn eq "CN=s"',
      'ssl.client_cert.issuer_dn': 'ssl.client_cert.issuer_dn eq "CN=i"',
      'ssl.client_cert.issuer_ski': 'ssl.client_cert.issuer_ski eq "AA"',
      'ssl.client_cert.not_before': 'ssl.client_cert.not_before eq 1647869700',
      'ssl.client_cert.not_after': 'ssl.client_cert.not_after eq 1679405700',
      'ssl.client_cert.error': 'ssl.client_cert.error eq "revoked"',
      'cf.tls_client_auth.cert_presented': 'cf.tls_client_auth.cert_presented',
      'cf.tls_client_auth.cert_verified': 'cf.tls_client_auth.cert_verified',
      'cf.tls_client_auth.cert_revoked': 'cf.tls_client_auth.cert_revoked',
      'cf.tls_client_auth.cert_fingerprint_sha256': 'cf.tls_client_auth.cert_fingerprint_sha256 eq "ff00"',
      'cf.tls_client_auth.cert_serial': 'cf.tls_client_auth.cert_serial eq "0F"',
      'cf.tls_client_auth.cert_issuer_dn': 'cf.tls_client_auth.cert_issuer_dn eq "CN=i"',
      'cf.tls_client_auth.cert_subject_dn': 'cf.tls_client_auth.cert_subject_dn eq "CN=s"',
      'cf.tls_client_auth.cert_issuer_ski': 'cf.tls_client_auth.cert_issuer_ski eq "AA"',
      'cf.tls_client_auth.cert_not_before': 'cf.tls_client_auth.cert_not_before eq "Mar 21 13:35:00 2022 GMT"',
      'cf.tls_client_auth.cert_not_after': 'cf.tls_client_auth.cert_not_after eq "Mar 21 13:35:00 2023 GMT"',
    };

    it('has a case for every field of the scheme', () => {
      expect(Object.keys(cases).sort()).toEqual([...WAF_FIELDS.keys()].sort());
    });

    it.each(Object.entries(cases))('reads %s', (_field, source) => {
      expect(matches(source, full)).toBe(true);
    });

    it('compares hex certificate facts without regard to case, as Cloudflare rules write them upper-case', () => {
      const facts = { ...full, clientCert: { ...full.clientCert, serial: '3f9a0c', fingerprintSha256: 'ab'.repeat(32) } };
      expect(matches('cf.tls_client_auth.cert_serial eq "3F9A0C"', facts)).toBe(true);
      expect(matches('ssl.client_cert.serial in {"00" "3F9A0C"}', facts)).toBe(true);
      expect(matches(`ssl.client_cert.fingerprint_sha256 eq "${'AB'.repeat(32)}"`, facts)).toBe(true);
      expect(matches('ssl.client_cert.serial eq "3F9A0D"', facts)).toBe(false);
    });

    it('reads http.request.uri as the path alone when there is no query', () => {
      expect(matches('http.request.uri eq "/p"', request({ path: '/p' }))).toBe(true);
    });

    it('gives empty text, zero dates and error "none" without a certificate', () => {
      expect(
        matches(
          'not ssl.client_cert.presented and ssl.client_cert.serial eq "" and ssl.client_cert.not_after eq 0 ' +
            'and ssl.client_cert.error eq "none" and cf.tls_client_auth.cert_not_before eq ""',
        ),
      ).toBe(true);
    });

    it('gives an empty Cloudflare date for a time JavaScript dates cannot hold', () => {
      expect(matches('cf.tls_client_auth.cert_not_after eq ""', request({ clientCert: cert({ notAfter: 1e20 }) }))).toBe(true);
    });

    it('pads a single-digit day with a space in Cloudflare dates', () => {
      const facts = request({ clientCert: cert({ notBefore: Date.UTC(2024, 0, 5, 1, 2, 3) / 1000 }) });
      expect(matches('cf.tls_client_auth.cert_not_before eq "Jan  5 01:02:03 2024 GMT"', facts)).toBe(true);
    });
  });

  describe('Cloudflare compatibility', () => {
    const revoked = request({ clientCert: cert({ revoked: true, error: 'revoked' }) });
    it('keeps cf.tls_client_auth.cert_verified true for a revoked, chain-verified certificate', () => {
      expect(matches('cf.tls_client_auth.cert_verified', revoked)).toBe(true);
      expect(matches('cf.tls_client_auth.cert_revoked', revoked)).toBe(true);
      expect(matches('ssl.client_cert.verified', revoked)).toBe(false);
      expect(matches('ssl.client_cert.revoked', revoked)).toBe(true);
    });

    it('agrees with ssl.client_cert.verified when not revoked, and without a certificate', () => {
      for (const facts of [
        request({ clientCert: cert() }),
        request(),
        request({ clientCert: cert({ chainVerified: false, error: 'untrusted' }) }),
      ]) {
        expect(matches('cf.tls_client_auth.cert_verified', facts)).toBe(matches('ssl.client_cert.verified', facts));
      }
    });

    it('runs a Cloudflare-style rule with its revocation check as it did there', () => {
      const rule = 'http.host in {"a.example.com"} and (not cf.tls_client_auth.cert_verified or cf.tls_client_auth.cert_revoked)';
      expect(matches(rule, revoked)).toBe(true);
      expect(matches(rule, request({ clientCert: cert() }))).toBe(false);
    });
  });

  describe('cost model', () => {
    it('compiles each regex once, at parse time', () => {
      const spy = vi.spyOn(RE2JS, 'compile');
      try {
        const ast = parseExpression('http.user_agent matches "bot" or http.request.uri.path matches "^/x"');
        compileExpression(ast).matches(request());
        compileExpression(ast).matches(request());
        expect(spy).toHaveBeenCalledTimes(2);
      } finally {
        spy.mockRestore();
      }
    });

    it('compiles a stored (JSON round-tripped) AST, regexes included', () => {
      const stored = JSON.parse(JSON.stringify(parseExpression('http.user_agent matches "(?i)bot" and ip.src in {192.0.2.0/24}')));
      expect(compileExpression(stored).matches(request({ userAgent: 'GoogleBot' }))).toBe(true);
    });

    it('parses the source address lazily, at most once per evaluation', () => {
      let reads = 0;
      const facts = {
        ...request(),
        get sourceIp() {
          reads++;
          return '10.1.2.3';
        },
      };
      const ipRules = compileRuleset([
        { id: 'a', expression: 'ip.src in {192.0.2.0/24}', action: { type: 'log' } },
        { id: 'b', expression: 'ip.src eq 10.1.2.4', action: { type: 'log' } },
        { id: 'c', expression: 'ip.src in {10.0.0.0/8}', action: { type: 'block' } },
      ]);
      if (!ipRules.ok) throw new Error('ruleset did not compile');
      expect(ipRules.ruleset.evaluate(facts)).toMatchObject({ action: 'block', ruleId: 'c' });
      expect(reads).toBe(1);
      const noIp = compileRuleset([{ id: 'a', expression: 'ssl', action: { type: 'log' } }]);
      if (!noIp.ok) throw new Error('ruleset did not compile');
      noIp.ruleset.evaluate(facts);
      expect(reads).toBe(1);
    });

    it('never mutates the facts', () => {
      const facts = Object.freeze(request({ headers: Object.freeze({ a: Object.freeze(['X']) }), clientCert: Object.freeze(cert()) }));
      expect(matches('lower(http.request.headers["a"]) eq "x" and ip.src in {192.0.2.0/24} and http.request.uri eq "/"', facts)).toBe(true);
    });
  });
});

import { describe, expect, it } from 'vitest';
import { analyzeExpression, WAF_WARNING_CODES } from './analysis.ts';
import { parseExpression } from './parser.ts';

const analyze = (source: string) => analyzeExpression(parseExpression(source));
const codes = (source: string) => analyze(source).warnings.map((w) => w.code);

describe('analyzeExpression', () => {
  it('lists referenced fields and header names, sorted, once each', () => {
    expect(
      analyze(
        'http.host eq "a" and (lower(http.request.headers["X-B"]) eq "1" or len(http.request.headers["x-a"]) gt 0) and http.host ne "b"',
      ),
    ).toEqual({ fields: ['http.host', 'http.request.headers'], headerNames: ['x-a', 'x-b'], warnings: [] });
  });

  describe('Waf.CertWithoutHost', () => {
    it.each([
      'not ssl.client_cert.verified',
      'cf.tls_client_auth.cert_presented',
      'ssl.client_cert.error eq "expired"',
      'http.host eq "a" or not ssl.client_cert.verified',
      'http.host ne "a" and not ssl.client_cert.verified',
      'not (http.host eq "a") and not ssl.client_cert.verified',
      'not (http.host eq "a" and ssl.client_cert.verified)',
      'http.host eq "a" xor not ssl.client_cert.verified',
      'http.request.uri.path eq "/a" and not ssl.client_cert.verified',
    ])('warns on %s', (source) => {
      expect(codes(source)).toEqual(['Waf.CertWithoutHost']);
      expect(analyze(source).warnings[0]!.message).toMatch(/every hostname/);
    });

    it.each([
      'http.host eq "a" and not ssl.client_cert.verified',
      '(http.host eq "a" or http.host eq "b") and not ssl.client_cert.verified',
      'http.host in {"a" "b"} and not ssl.client_cert.verified',
      'ends_with(lower(http.host), ".example.com") and not ssl.client_cert.verified',
      'not (http.host ne "a" or ssl.client_cert.verified)',
      'not (http.host ne "a") and not ssl.client_cert.verified',
      '(http.host eq "a" and not ssl.client_cert.verified) or (http.host eq "b" and ssl.client_cert.revoked)',
      'http.host eq "a" and (http.host eq "a" xor not ssl.client_cert.verified)',
      'ssl and http.request.uri.path eq "/"',
    ])('does not warn on %s', (source) => {
      expect(codes(source)).toEqual([]);
    });

    it('stays linear on deeply nested xor and not', () => {
      const nested = `${'(ssl xor not '.repeat(16)}ssl.client_cert.verified${')'.repeat(16)}`;
      expect(codes(nested)).toEqual(['Waf.CertWithoutHost']);
    });
  });

  it('has a closed set of namespaced warning codes', () => {
    for (const code of Object.keys(WAF_WARNING_CODES)) expect(code).toMatch(/^Waf\.[A-Z][A-Za-z]+$/);
  });

  it('warns when cf cert_verified is used without a revocation check', () => {
    expect(codes('http.host eq "a" and not cf.tls_client_auth.cert_verified')).toEqual(['Waf.CfVerifiedIgnoresRevocation']);
    expect(codes('http.host eq "a" and (not cf.tls_client_auth.cert_verified or cf.tls_client_auth.cert_revoked)')).toEqual([]);
  });

  it('warns when a lower-cased value is compared with upper-case letters', () => {
    expect(codes('lower(http.user_agent) contains "Bot"')).toEqual(['Waf.UnreachableComparison']);
    expect(codes('lower(http.request.headers["a"]) in {"x" "Y"}')).toEqual(['Waf.UnreachableComparison']);
    expect(analyze('lower(http.user_agent) eq "Bot"').warnings[0]!.message).toMatch(/"Bot"/);
    expect(codes('lower(http.user_agent) matches "(?i)Bot"')).toEqual([]);
    expect(codes('lower(http.host) eq "A.example.com"')).toEqual([]);
    expect(codes('http.user_agent contains "Bot"')).toEqual([]);
  });
});

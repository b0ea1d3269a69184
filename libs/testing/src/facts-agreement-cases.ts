/**
 * Cases the edge's request decision and the control plane's rule tester must answer alike
 * (DESIGN.md: one facts builder, so they cannot disagree). Each side's test builds the same
 * world from its own parts — a site whose hostname `secure.<zone>` has the account CA bound
 * and `open.<zone>` has none; certificates `bound` (from that CA), `revoked` (from it, then
 * revoked), `other-ca` (from a CA bound nowhere) — runs every case through its own path with
 * one rule, and compares what it got with `expected`.
 */
export interface FactsAgreementCase {
  readonly name: string;
  readonly host: 'secure' | 'open';
  readonly certificate: 'none' | 'bound' | 'revoked' | 'other-ca';
  readonly method: string;
  readonly uri: string;
  readonly headers: Readonly<Record<string, string>>;
  /** The client's address. */
  readonly ip: string;
  readonly rule: { readonly expression: string; readonly action: 'block' | 'log' | 'allow' };
  readonly expected: {
    readonly action: 'block' | 'allow' | 'pass';
    /** Whether the rule was logged (a `log` rule that matched). */
    readonly logged: boolean;
    readonly clientCert: {
      readonly presented: boolean;
      readonly chainVerified: boolean;
      readonly revoked: boolean;
      readonly error: string;
    };
  };
}

const none = { presented: false, chainVerified: false, revoked: false, error: 'none' } as const;
const verified = { presented: true, chainVerified: true, revoked: false, error: '' } as const;
const base = { method: 'GET', uri: '/', headers: {}, ip: '192.0.2.7' } as const;
const mtls = { expression: 'not ssl.client_cert.verified', action: 'block' } as const;

export const factsAgreementCases: readonly FactsAgreementCase[] = [
  {
    ...base,
    name: 'no certificate on an mTLS name',
    host: 'secure',
    certificate: 'none',
    rule: mtls,
    expected: { action: 'block', logged: false, clientCert: none },
  },
  {
    ...base,
    name: 'a certificate from the bound CA',
    host: 'secure',
    certificate: 'bound',
    rule: mtls,
    expected: { action: 'pass', logged: false, clientCert: verified },
  },
  {
    ...base,
    name: 'a revoked certificate',
    host: 'secure',
    certificate: 'revoked',
    rule: mtls,
    expected: { action: 'block', logged: false, clientCert: { presented: true, chainVerified: true, revoked: true, error: 'revoked' } },
  },
  {
    ...base,
    name: 'a certificate from a CA bound nowhere',
    host: 'secure',
    certificate: 'other-ca',
    rule: mtls,
    expected: { action: 'block', logged: false, clientCert: { presented: true, chainVerified: false, revoked: false, error: 'untrusted' } },
  },
  {
    ...base,
    name: 'a certificate on a name without bound CAs is never asked for',
    host: 'open',
    certificate: 'bound',
    rule: { expression: 'ssl.client_cert.presented', action: 'block' },
    expected: { action: 'pass', logged: false, clientCert: none },
  },
  {
    ...base,
    name: 'path and query split at the first ?',
    host: 'open',
    certificate: 'none',
    uri: '/a/b?x=1?y',
    rule: { expression: 'http.request.uri.path eq "/a/b" and http.request.uri.query eq "x=1?y"', action: 'block' },
    expected: { action: 'block', logged: false, clientCert: none },
  },
  {
    ...base,
    name: 'user agent and headers',
    host: 'secure',
    certificate: 'bound',
    headers: { 'user-agent': 'curl/8.14', 'x-team': 'blue' },
    rule: { expression: 'http.user_agent contains "curl" and http.request.headers["x-team"] eq "blue"', action: 'block' },
    expected: { action: 'block', logged: false, clientCert: verified },
  },
  {
    ...base,
    name: 'the client address',
    host: 'open',
    certificate: 'none',
    rule: { expression: 'ip.src in {192.0.2.0/24}', action: 'allow' },
    expected: { action: 'allow', logged: false, clientCert: none },
  },
  {
    ...base,
    name: 'a log rule on the method',
    host: 'secure',
    certificate: 'bound',
    method: 'POST',
    rule: { expression: 'http.request.method eq "POST" and ssl.client_cert.verified', action: 'log' },
    expected: { action: 'pass', logged: true, clientCert: verified },
  },
];

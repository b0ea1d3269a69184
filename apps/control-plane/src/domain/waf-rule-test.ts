import { isIP } from 'node:net';
import { createTrustStore, inspectCertificate } from '@portcullis/pki';
import { buildRequestFacts, connectionCertificate, requestCertificateFacts } from '@portcullis/facts';
import { NO_CLIENT_CERT, compileRuleset, type ClientCertFacts, type Decision } from '@portcullis/waf';
import type { WafAction } from './entities.ts';
import type { Caller } from './caller.ts';
import type { Deps } from './deps.ts';
import { accountOf } from './accounts.ts';
import { ApiError } from './api-error.ts';
import { hostnameParameter } from './hostname-parameters.ts';
import { requireSite } from './sites.ts';
import { casForHost, isRevoked, loadSiteTrust } from './site-trust.ts';
import { ruleDefinitions, wafRuleErrors } from './waf-rules.ts';

/** A request to try rules against, as an operator describes it. */
export interface SampleRequest {
  readonly host: string;
  readonly method?: string;
  /** Path and optional query, e.g. `/api/v1?x=1`; default `/`. */
  readonly uri?: string;
  readonly headers?: Readonly<Record<string, string | readonly string[]>>;
  readonly ip?: string;
  /** Default true: Portcullis edges serve TLS. */
  readonly tls?: boolean;
  /**
   * The client certificate: a PEM, checked against the CAs bound to `host` on the site and the
   * revocations the control plane holds (as an edge would), or facts stated directly.
   */
  readonly certificatePem?: string;
  readonly certificate?: Partial<ClientCertFacts>;
}

/**
 * The tester's bounds on a sample request, enforced here whatever the transport (REST, RPC,
 * gRPC), so no API can hand the engine more than an edge would.
 */
export const sampleRequestLimits = {
  method: 16,
  uri: 8192,
  headerName: 256,
  headerValue: 8192,
  headerValues: 32,
  headers: 100,
  certificatePem: 65_536,
  certificateText: 1024,
} as const;

export interface RuleTestResult {
  readonly decision: Decision;
  /** The certificate facts the rules saw. */
  readonly clientCert: ClientCertFacts;
}

/**
 * Evaluates one expression (as a rule with `action`, default block 403) or the site's whole
 * ruleset against a sample request, with the same libs/waf engine the edges run, and says
 * what would happen and which rule decided.
 */
export function wafRuleTestService(deps: Deps) {
  const { store } = deps;

  /**
   * The facts an edge would compute for this certificate on `host` now: the same builder
   * (@portcullis/facts) the edge uses per connection, then revocation and expiry per request.
   */
  async function certificateFacts(siteId: string, host: string, request: SampleRequest, now: Date): Promise<ClientCertFacts> {
    if (request.certificatePem === undefined) {
      return request.certificate ? { ...NO_CLIENT_CERT, presented: true, error: '', ...request.certificate } : NO_CLIENT_CERT;
    }
    // Parsed first so an unreadable PEM is the caller's error, not an "untrusted" fact. On a
    // hostname without bound CAs the edge asks for no certificate: no facts, as there.
    inspectCertificate(request.certificatePem);
    const trust = await loadSiteTrust(store, siteId);
    const caIds = casForHost(trust, host);
    const trustStore =
      caIds.length === 0 ? undefined : createTrustStore(caIds.map((id) => ({ id, certificate: trust.certificates.get(id)! })));
    const connection = connectionCertificate(request.certificatePem, trustStore, now);
    const revoked = connection.caId !== undefined && (await isRevoked(store, connection.caId, connection.facts.serial));
    return requestCertificateFacts(connection, () => revoked, Math.floor(now.getTime() / 1000));
  }

  return {
    async evaluate(
      caller: Caller,
      siteId: string,
      input: { expression?: string; action?: WafAction; request: SampleRequest },
    ): Promise<RuleTestResult> {
      const accountId = accountOf(caller);
      await requireSite(store, accountId, siteId);
      const definitions =
        input.expression !== undefined
          ? [{ id: 'test', expression: input.expression, action: input.action ?? { type: 'block' as const, status: 403 } }]
          : ruleDefinitions((await store.get('wafRuleset', siteId))?.data.rules ?? []);
      const compiled = compileRuleset(definitions);
      if (!compiled.ok) throw wafRuleErrors(compiled.errors);

      const host = hostnameParameter(input.request.host, { wildcard: false });
      const { method, uri, headers } = checkedSample(input.request);
      const clientCert = await certificateFacts(siteId, host, input.request, deps.now());
      const facts = buildRequestFacts({
        host,
        method,
        target: uri,
        userAgent: headers['user-agent']?.[0] ?? '',
        headers: () => headers,
        sourceIp: input.request.ip ?? '127.0.0.1',
        tls: input.request.tls ?? true,
        clientCert,
      });
      return { decision: compiled.ruleset.evaluate(facts), clientCert };
    },
  };
}

/** HTTP token characters (RFC 9110 section 5.6.2): what a method or header name is made of. */
const token = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/** A field value as an edge can receive it: visible Latin-1, spaces and tabs inside, none around it. */
const fieldValue = /^(?:[\x21-\x7e\x80-\xff](?:[\x20-\x7e\x80-\xff\t]*[\x21-\x7e\x80-\xff])?)?$/;

/**
 * The parts of a sample request the rules read, checked against what an edge could receive
 * (which the HTTP/1.1 parser in front of the WAF guarantees there): method a token, uri
 * origin-form printable ASCII, header names tokens (lower-cased: header names compare
 * case-insensitively; two names that differ only in case are refused, not merged), values
 * field text, the address an IP address. Everything within `sampleRequestLimits`. Throws
 * `InvalidParameter.SampleRequest` with the field.
 */
function checkedSample(request: SampleRequest): { method: string; uri: string; headers: Record<string, string[]> } {
  const limits = sampleRequestLimits;
  const method = request.method ?? 'GET';
  if (method.length > limits.method || !token.test(method))
    refuseSample('request.method', `an HTTP token of 1–${limits.method} characters`);
  const uri = request.uri ?? '/';
  if (uri.length > limits.uri || !/^\/[\x21-\x7e]*$/.test(uri) || uri.includes('#')) {
    refuseSample('request.uri', `a path and optional query of at most ${limits.uri} printable ASCII characters, starting with "/"`);
  }
  const entries = Object.entries(request.headers ?? {});
  if (entries.length > limits.headers) refuseSample('request.headers', `at most ${limits.headers} headers`);
  const headers: Record<string, string[]> = Object.create(null);
  for (const [name, value] of entries) {
    if (name.length > limits.headerName || !token.test(name)) {
      refuseSample('request.headers', `header names that are HTTP tokens of 1–${limits.headerName} characters`);
    }
    const key = name.toLowerCase();
    if (Object.hasOwn(headers, key)) refuseSample('request.headers', 'each header name once, whatever its case');
    const values = typeof value === 'string' ? [value] : [...value];
    if (values.length > limits.headerValues) refuseSample(`request.headers.${key}`, `at most ${limits.headerValues} values per header`);
    for (const text of values) {
      if (text.length > limits.headerValue || !fieldValue.test(text)) {
        refuseSample(
          `request.headers.${key}`,
          `values of at most ${limits.headerValue} visible Latin-1 characters, no control characters or surrounding spaces`,
        );
      }
    }
    headers[key] = values;
  }
  if (request.ip !== undefined && isIP(request.ip) === 0) refuseSample('request.ip', 'an IPv4 or IPv6 address');
  if (request.certificatePem !== undefined && request.certificatePem.length > limits.certificatePem) {
    refuseSample('request.certificatePem', `at most ${limits.certificatePem} characters`);
  }
  for (const [field, text] of Object.entries(request.certificate ?? {})) {
    if (typeof text === 'string' && (text.length > limits.certificateText || !text.isWellFormed() || /\p{Cc}/u.test(text))) {
      refuseSample(`request.certificate.${field}`, `text of at most ${limits.certificateText} characters without control characters`);
    }
  }
  return { method, uri, headers };
}

function refuseSample(field: string, expected: string): never {
  throw new ApiError('InvalidParameter.SampleRequest', { message: `${field} must be ${expected}.`, details: { field } });
}

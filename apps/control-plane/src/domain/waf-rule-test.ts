import { createTrustStore, inspectCertificate } from '@portcullis/pki';
import {
  NO_CLIENT_CERT,
  compileRuleset,
  type ClientCertError,
  type ClientCertFacts,
  type Decision,
  type RequestFacts,
} from '@portcullis/waf';
import type { WafAction } from './entities.ts';
import type { Caller } from './caller.ts';
import type { Deps } from './deps.ts';
import { accountOf } from './accounts.ts';
import { ApiError } from './api-error.ts';
import { normaliseHostname } from './hostnames.ts';
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

  async function certificateFacts(siteId: string, host: string, request: SampleRequest): Promise<ClientCertFacts> {
    if (request.certificatePem === undefined) {
      return request.certificate ? { ...NO_CLIENT_CERT, presented: true, error: '', ...request.certificate } : NO_CLIENT_CERT;
    }
    const info = inspectCertificate(request.certificatePem);
    const trust = await loadSiteTrust(store, siteId);
    const caIds = casForHost(trust, host);
    const check =
      caIds.length === 0
        ? ({ ok: false, reason: 'untrusted' } as const)
        : createTrustStore(caIds.map((id) => ({ id, certificate: trust.certificates.get(id)! }))).verify(
            request.certificatePem,
            deps.now(),
          );
    const revoked = check.ok && (await isRevoked(store, check.ca.id, info.serialNumber));
    const error: ClientCertError = !check.ok ? check.reason : revoked ? 'revoked' : '';
    return {
      presented: true,
      chainVerified: check.ok,
      revoked,
      serial: info.serialNumber,
      fingerprintSha256: info.fingerprintSha256,
      subjectDn: info.subject,
      issuerDn: info.issuer,
      issuerSki: info.authorityKeyId ?? '',
      notBefore: Math.floor(info.notBefore.getTime() / 1000),
      notAfter: Math.floor(info.notAfter.getTime() / 1000),
      error,
    };
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

      const host = normaliseHostname(input.request.host);
      const uri = input.request.uri ?? '/';
      if (!uri.startsWith('/')) throw new ApiError('InvalidParameter', { message: 'uri must start with "/".', details: { field: 'uri' } });
      const queryAt = uri.indexOf('?');
      const headers: Record<string, string[]> = {};
      for (const [name, value] of Object.entries(input.request.headers ?? {})) {
        headers[name.toLowerCase()] = typeof value === 'string' ? [value] : [...value];
      }
      const clientCert = await certificateFacts(siteId, host, input.request);
      const facts: RequestFacts = {
        host,
        method: input.request.method ?? 'GET',
        path: queryAt < 0 ? uri : uri.slice(0, queryAt),
        query: queryAt < 0 ? '' : uri.slice(queryAt + 1),
        userAgent: headers['user-agent']?.[0] ?? '',
        headers,
        sourceIp: input.request.ip ?? '127.0.0.1',
        tls: input.request.tls ?? true,
        clientCert,
      };
      return { decision: compiled.ruleset.evaluate(facts), clientCert };
    },
  };
}

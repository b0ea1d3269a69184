import type { ClientCertFacts, RequestFacts } from '@portcullis/waf';

/** A request as the WAF is told of it, before its facts are built. */
export interface RequestInput {
  /** The hostname the request is routed by (lower-case, no port, no trailing dot). */
  readonly host: string;
  readonly method: string;
  /** The origin-form target: path and optional `?query`. */
  readonly target: string;
  readonly userAgent: string;
  /**
   * Header values by lower-case name; a getter is read only when a rule reads headers, so a
   * caller may build the map lazily.
   */
  readonly headers: () => Readonly<Record<string, readonly string[] | undefined>>;
  readonly sourceIp: string;
  readonly tls: boolean;
  readonly clientCert: ClientCertFacts;
}

/**
 * The WAF facts of a request, built the one way both the edge and the control plane's rule
 * tester build them: path and query split at the first `?` (the query without it), headers
 * read lazily and at most once.
 */
export function buildRequestFacts(input: RequestInput): RequestFacts {
  const queryAt = input.target.indexOf('?');
  let headers: Readonly<Record<string, readonly string[] | undefined>> | undefined;
  return {
    host: input.host,
    method: input.method,
    path: queryAt < 0 ? input.target : input.target.slice(0, queryAt),
    query: queryAt < 0 ? '' : input.target.slice(queryAt + 1),
    userAgent: input.userAgent,
    get headers() {
      return (headers ??= input.headers());
    },
    sourceIp: input.sourceIp,
    tls: input.tls,
    clientCert: input.clientCert,
  };
}

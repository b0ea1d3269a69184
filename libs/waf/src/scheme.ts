import { cloudflareCertDate, type EvaluationContext } from './evaluation-context.ts';

/**
 * The types of the rule language.
 * - `Bool`, `Int` (a safe integer), `String` (compared by UTF-16 code units);
 * - `Ip`: an IPv4 or IPv6 address, compared with `eq`, `ne` and `in {…}` lists of addresses
 *   and CIDR ranges;
 * - `Array<String>`: the values of one header. A comparison on an array is true when it is
 *   true for at least one value (as Cloudflare's `any(…[*] …)`), so an absent header (no
 *   values) makes every comparison false, `ne` included;
 * - `Map<Array<String>>`: the headers, only usable through an index: `headers["name"]`.
 */
export type ValueType = 'Bool' | 'Int' | 'String' | 'Ip' | 'Array<String>' | 'Map<Array<String>>';

/** What the scheme says about one field. */
export interface FieldDefinition {
  readonly name: FieldName;
  readonly type: ValueType;
  /** Meaning of the field, for rule authors (the console shows it). */
  readonly description: string;
}

/** A value read from the facts: its JavaScript type follows the field's `ValueType`. */
export type FieldValue = boolean | number | string | null | readonly string[] | Readonly<Record<string, readonly string[] | undefined>>;

interface FieldSpec {
  readonly type: ValueType;
  readonly description: string;
  /** Reads the field for one evaluation; must not throw and must not mutate the facts. */
  readonly read: (ctx: EvaluationContext) => FieldValue;
}

// One entry per field: its type, its meaning, and how the engine reads it from the facts.
// Entries read the facts directly so a rule on a plain field costs one property load.
const fields = {
  'http.host': {
    type: 'String',
    description:
      'Hostname of the request, lower-case, without port. Hostnames are case-insensitive, so ' +
      'string literals compared with this field (except regex patterns) are lower-cased when ' +
      'the rule is compiled: `http.host eq "A.Example.com"` matches `a.example.com`.',
    read: (c) => c.facts.host,
  },
  'http.request.method': {
    type: 'String',
    description: 'Request method as sent, e.g. `GET`.',
    read: (c) => c.facts.method,
  },
  'http.request.uri': {
    type: 'String',
    description: 'Path and query as in the request line: `/path?query`, or `/path` when the query is empty.',
    read: (c) => c.uri(),
  },
  'http.request.uri.path': {
    type: 'String',
    description: 'URI path as sent, not decoded or normalised, starting with `/`.',
    read: (c) => c.facts.path,
  },
  'http.request.uri.query': {
    type: 'String',
    description: 'Query string without the leading `?`; `""` when there is none.',
    read: (c) => c.facts.query,
  },
  'http.user_agent': {
    type: 'String',
    description: 'The `User-Agent` header; `""` when absent.',
    read: (c) => c.facts.userAgent,
  },
  'http.request.headers': {
    type: 'Map<Array<String>>',
    description:
      'Request headers: `http.request.headers["name"]` is the `Array<String>` of all values of ' +
      'that header, in order (names are case-insensitive; empty when absent). A comparison is ' +
      'true when any value satisfies it.',
    read: (c) => c.facts.headers,
  },
  'ip.src': {
    type: 'Ip',
    description:
      'Client IP address (IPv4-mapped IPv6 counts as IPv4). When the edge has no valid address ' + 'every comparison on it is false.',
    read: (c) => c.sourceIp(),
  },
  ssl: {
    type: 'Bool',
    description: 'The request came over TLS.',
    read: (c) => c.facts.tls,
  },
  'ssl.client_cert.presented': {
    type: 'Bool',
    description: 'The client presented a certificate.',
    read: (c) => c.facts.clientCert.presented,
  },
  'ssl.client_cert.verified': {
    type: 'Bool',
    description:
      'The client certificate chains to a CA bound to this hostname, is within its validity ' +
      'period AND is not revoked. (Unlike `cf.tls_client_auth.cert_verified`, which ignores revocation.)',
    read: (c) => {
      const cert = c.facts.clientCert;
      return cert.presented && cert.chainVerified && !cert.revoked;
    },
  },
  'ssl.client_cert.revoked': {
    type: 'Bool',
    description: 'The client certificate is revoked (checked on every request, also on kept-alive connections).',
    read: (c) => c.facts.clientCert.revoked,
  },
  'ssl.client_cert.serial': {
    type: 'String',
    description:
      'Serial number of the client certificate, lower-case hex without separators or leading zero bytes (as the API shows it); comparisons ignore case; `""` without one.',
    read: (c) => c.facts.clientCert.serial,
  },
  'ssl.client_cert.fingerprint_sha256': {
    type: 'String',
    description: 'SHA-256 fingerprint of the client certificate (DER), lower-case hex; comparisons ignore case; `""` without one.',
    read: (c) => c.facts.clientCert.fingerprintSha256,
  },
  'ssl.client_cert.subject_dn': {
    type: 'String',
    description: 'Subject distinguished name of the client certificate (RFC 4514); `""` without one.',
    read: (c) => c.facts.clientCert.subjectDn,
  },
  'ssl.client_cert.issuer_dn': {
    type: 'String',
    description: 'Issuer distinguished name of the client certificate (RFC 4514); `""` without one.',
    read: (c) => c.facts.clientCert.issuerDn,
  },
  'ssl.client_cert.issuer_ski': {
    type: 'String',
    description: 'Subject key identifier of the issuing CA, lower-case hex; comparisons ignore case; `""` without a certificate.',
    read: (c) => c.facts.clientCert.issuerSki,
  },
  'ssl.client_cert.not_before': {
    type: 'Int',
    description: 'Start of the certificate validity, Unix seconds; `0` without a certificate.',
    read: (c) => c.facts.clientCert.notBefore,
  },
  'ssl.client_cert.not_after': {
    type: 'Int',
    description: 'End of the certificate validity, Unix seconds; `0` without a certificate.',
    read: (c) => c.facts.clientCert.notAfter,
  },
  'ssl.client_cert.error': {
    type: 'String',
    description:
      'Why verification failed: `""` (verified), `"none"` (no certificate), `"untrusted"`, ' +
      '`"expired"`, `"not_yet_valid"`, `"bad_signature"`, `"revoked"` or `"not_client_certificate"`.',
    read: (c) => c.facts.clientCert.error,
  },
  'cf.tls_client_auth.cert_presented': {
    type: 'Bool',
    description: 'Cloudflare name of `ssl.client_cert.presented`.',
    read: (c) => c.facts.clientCert.presented,
  },
  'cf.tls_client_auth.cert_verified': {
    type: 'Bool',
    description:
      "Cloudflare's meaning, kept for ported rules: the chain verified and the certificate is in " +
      'validity, but it stays TRUE for a revoked certificate. Test `cert_revoked` too, or use ' +
      '`ssl.client_cert.verified`.',
    read: (c) => c.facts.clientCert.presented && c.facts.clientCert.chainVerified,
  },
  'cf.tls_client_auth.cert_revoked': {
    type: 'Bool',
    description: 'Cloudflare name of `ssl.client_cert.revoked`.',
    read: (c) => c.facts.clientCert.revoked,
  },
  'cf.tls_client_auth.cert_fingerprint_sha256': {
    type: 'String',
    description: 'Cloudflare name of `ssl.client_cert.fingerprint_sha256`.',
    read: (c) => c.facts.clientCert.fingerprintSha256,
  },
  'cf.tls_client_auth.cert_serial': {
    type: 'String',
    description: 'Cloudflare name of `ssl.client_cert.serial`.',
    read: (c) => c.facts.clientCert.serial,
  },
  'cf.tls_client_auth.cert_issuer_dn': {
    type: 'String',
    description: 'Cloudflare name of `ssl.client_cert.issuer_dn`.',
    read: (c) => c.facts.clientCert.issuerDn,
  },
  'cf.tls_client_auth.cert_subject_dn': {
    type: 'String',
    description: 'Cloudflare name of `ssl.client_cert.subject_dn`.',
    read: (c) => c.facts.clientCert.subjectDn,
  },
  'cf.tls_client_auth.cert_issuer_ski': {
    type: 'String',
    description: 'Cloudflare name of `ssl.client_cert.issuer_ski`.',
    read: (c) => c.facts.clientCert.issuerSki,
  },
  'cf.tls_client_auth.cert_not_before': {
    type: 'String',
    description:
      'Start of validity as Cloudflare\'s String, e.g. `"Mar 21 13:35:00 2022 GMT"`; `""` without ' +
      'a certificate. Compare dates with the Int `ssl.client_cert.not_before` instead.',
    read: (c) => cloudflareCertDate(c.facts.clientCert.notBefore),
  },
  'cf.tls_client_auth.cert_not_after': {
    type: 'String',
    description:
      'End of validity as Cloudflare\'s String, e.g. `"Mar 21 13:35:00 2023 GMT"`; `""` without ' +
      'a certificate. Compare dates with the Int `ssl.client_cert.not_after` instead.',
    read: (c) => cloudflareCertDate(c.facts.clientCert.notAfter),
  },
} satisfies Record<string, FieldSpec>;

/** The name of a field of the scheme. */
export type FieldName = keyof typeof fields;

/** Every field of the scheme by name, with its type and meaning, in documentation order. */
export const WAF_FIELDS: ReadonlyMap<FieldName, FieldDefinition> = new Map(
  (Object.keys(fields) as FieldName[]).map((name) => [
    name,
    Object.freeze({ name, type: fields[name].type, description: fields[name].description }),
  ]),
);

/**
 * The fields whose string literals are lower-cased at compile time: the facts are lower case,
 * and a literal in another case means the same value (hostnames; hex serials, fingerprints
 * and key ids, which Cloudflare's rules write in upper case).
 */
export const caseInsensitiveFields: ReadonlySet<FieldName> = new Set<FieldName>([
  'http.host',
  'ssl.client_cert.serial',
  'ssl.client_cert.fingerprint_sha256',
  'ssl.client_cert.issuer_ski',
  'cf.tls_client_auth.cert_serial',
  'cf.tls_client_auth.cert_fingerprint_sha256',
  'cf.tls_client_auth.cert_issuer_ski',
]);

/** True when `name` is a field of the scheme. */
export function isFieldName(name: string): name is FieldName {
  return Object.hasOwn(fields, name);
}

/** How the engine reads `name` from one evaluation. */
export function fieldReader(name: FieldName): (ctx: EvaluationContext) => FieldValue {
  return fields[name].read;
}

/** Fields describing the client certificate; the analysis warns on them without a host condition. */
export function isClientCertField(name: FieldName): boolean {
  return name.startsWith('ssl.client_cert.') || name.startsWith('cf.tls_client_auth.');
}

/**
 * Why a client certificate did not verify, as the `ssl.client_cert.error` field shows it:
 * - `""`: it verified (chain to a CA bound to the hostname, in validity, not revoked);
 * - `"none"`: no certificate was presented;
 * - `"untrusted"`: the chain does not lead to a CA bound to this hostname;
 * - `"expired"` / `"not_yet_valid"`: outside its validity period;
 * - `"bad_signature"`: a signature in the chain does not verify;
 * - `"revoked"`: the chain verified but the certificate is revoked;
 * - `"not_client_certificate"`: its key usage does not allow TLS client authentication.
 */
export type ClientCertError =
  '' | 'none' | 'untrusted' | 'expired' | 'not_yet_valid' | 'bad_signature' | 'revoked' | 'not_client_certificate';

/** Every value of `ClientCertError`, for validation and console pick lists. */
export const CLIENT_CERT_ERRORS: readonly ClientCertError[] = [
  '',
  'none',
  'untrusted',
  'expired',
  'not_yet_valid',
  'bad_signature',
  'revoked',
  'not_client_certificate',
];

/**
 * What the edge knows about the client certificate of a request. "Chain verified" and
 * "revoked" are separate facts on purpose: Cloudflare's `cert_verified` ignores revocation
 * and rules ported from it must keep that meaning, while our own `ssl.client_cert.verified`
 * is `presented && chainVerified && !revoked`. Text facts are `""` and dates `0` when no
 * certificate was presented.
 */
export interface ClientCertFacts {
  readonly presented: boolean;
  /** The chain leads to a CA bound to this hostname and the certificate is within validity. */
  readonly chainVerified: boolean;
  /** Issuer and serial are in the revocation set (checked per request, not per connection). */
  readonly revoked: boolean;
  /** Serial number, lower-case hex without separators or leading zero bytes (libs/pki's form). */
  readonly serial: string;
  /** SHA-256 of the DER certificate, lower-case hex without separators. */
  readonly fingerprintSha256: string;
  /** Subject distinguished name in RFC 4514 form. */
  readonly subjectDn: string;
  /** Issuer distinguished name in RFC 4514 form. */
  readonly issuerDn: string;
  /** Subject key identifier of the issuing CA, hex. */
  readonly issuerSki: string;
  /** Start of validity, Unix seconds. */
  readonly notBefore: number;
  /** End of validity, Unix seconds. */
  readonly notAfter: number;
  /** Why verification failed, `""` when it succeeded. */
  readonly error: ClientCertError;
}

/** The certificate facts of a request without a client certificate; share it, it is frozen. */
export const NO_CLIENT_CERT: ClientCertFacts = Object.freeze({
  presented: false,
  chainVerified: false,
  revoked: false,
  serial: '',
  fingerprintSha256: '',
  subjectDn: '',
  issuerDn: '',
  issuerSki: '',
  notBefore: 0,
  notAfter: 0,
  error: 'none',
});

/**
 * The facts the WAF evaluates, built by the edge once per request. Building it must stay cheap:
 * every member is a value the edge already holds (no parsing, no copying), and anything costly
 * to derive (the parsed source address, the full URI) is derived by the engine lazily, at most
 * once per evaluation and only when a rule reads it. The engine never mutates the facts.
 */
export interface RequestFacts {
  /** Hostname the request was routed by: lower-case, without port or trailing dot. */
  readonly host: string;
  /** Request method as sent, e.g. `GET`. */
  readonly method: string;
  /** URI path as sent (not decoded, not normalised), starting with `/`. */
  readonly path: string;
  /** Query string without the leading `?`, `""` when there is none. */
  readonly query: string;
  /** The `User-Agent` header, `""` when absent. */
  readonly userAgent: string;
  /**
   * Request headers by lower-case name, each with all its values in order (Node's
   * `headersDistinct` has this shape). Names missing here have no values.
   */
  readonly headers: Readonly<Record<string, readonly string[] | undefined>>;
  /**
   * Client address as the socket reports it: IPv4 dotted quad or IPv6 text. IPv4-mapped IPv6
   * (`::ffff:192.0.2.1`) is treated as the IPv4 address; a zone (`%eth0`) is ignored; text that
   * is not an address makes every `ip.src` comparison false.
   */
  readonly sourceIp: string;
  /** The request came over TLS. */
  readonly tls: boolean;
  /** Client certificate facts; `NO_CLIENT_CERT` when none was presented. */
  readonly clientCert: ClientCertFacts;
}

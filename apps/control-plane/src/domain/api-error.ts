/**
 * The control plane's error catalogue: every error a caller can see, with a stable code and
 * an HTTP status. Codes never change meaning; new ones are added here. Errors raised by
 * libs/pki (`Certificate.*`, `Csr.*`, `Key.*`, `CaCertificate.*`, `Crl.*`, …) and libs/waf
 * (`Waf.*`) keep their own codes and statuses when they reach the API (see `toApiError`).
 */
export const apiErrors = {
  'Auth.MissingKey': [401, 'An API key is required: send "Authorization: Bearer <key>".'],
  'Auth.InvalidKey': [401, 'The API key is not valid or has been revoked.'],
  'Auth.AdminOnly': [403, 'This operation needs the administrator token.'],
  'Auth.AccountOnly': [403, 'This operation needs an account API key, not the administrator token.'],
  'Auth.InvalidJoinToken': [401, 'The join token is not valid, has expired or has been used up.'],

  'NotFound.Route': [404, 'No such route or action.'],
  'NotFound.Account': [404, 'The account does not exist.'],
  'NotFound.ApiKey': [404, 'The API key does not exist.'],
  'NotFound.Site': [404, 'The site does not exist.'],
  'NotFound.ClientCertificate': [404, 'The client certificate does not exist.'],
  'NotFound.CaCertificate': [404, 'The CA certificate does not exist.'],
  'NotFound.ServerCertificate': [404, 'The server certificate does not exist.'],
  'NotFound.Crl': [404, 'No CRL has been uploaded for this CA.'],
  'NotFound.Revocation': [404, 'That serial number is not revoked by hand on this CA.'],
  'NotFound.WafRule': [404, 'The WAF rule does not exist.'],
  'NotFound.JoinToken': [404, 'The join token does not exist.'],
  'NotFound.Edge': [404, 'No edge with this node id has connected to this control-plane replica.'],

  InvalidParameter: [400, 'A parameter is missing or malformed.'],
  'InvalidParameter.Hostname': [400, 'A hostname is not a valid DNS name (or wildcard) for this API.'],
  'InvalidParameter.HostnameNotInSite': [400, "A hostname is neither the site's zone nor a name under it."],
  'InvalidParameter.DuplicateHostname': [400, 'A hostname appears more than once (after normalisation).'],
  'InvalidParameter.TooManyHostnames': [400, 'At most 50 hostnames can be set in one call.'],
  'InvalidParameter.SiteName': [400, 'The site name must be a DNS zone such as example.com.'],
  'InvalidParameter.OriginUrl': [400, 'The origin must be an http:// or https:// URL with a host and no credentials.'],
  'InvalidParameter.ValidityDays': [400, 'ValidityDays must be a whole number from 1 to 3650.'],
  'InvalidParameter.PkeyType': [400, 'PkeyType must be RSA or ECC.'],
  'InvalidParameter.KeyOrCsr': [400, 'Give either a CSR or a PkeyType, not both.'],
  'InvalidParameter.Confirmation': [400, 'Revoking needs explicit confirmation: set "confirm": true.'],
  'InvalidParameter.Paging': [400, 'PageNumber must be 1–500 and PageSize 1–100.'],
  'InvalidParameter.SerialNumber': [400, 'A serial number must be hexadecimal (colons allowed), at most 40 digits.'],
  'InvalidParameter.Name': [400, 'A name must be 1–128 printable characters.'],
  'InvalidParameter.Plan': [400, 'The plan is not valid.'],
  'InvalidParameter.Pkcs12Password': [400, 'A PKCS#12 password must be 8–128 characters and needs a system-generated key.'],
  'InvalidParameter.CertificateKeyMismatch': [400, 'The private key does not belong to the certificate.'],
  'InvalidParameter.NodeId': [400, 'A node id must be 1–64 characters of a-z, 0-9 and "-".'],
  'InvalidParameter.JoinToken': [400, 'ttlSeconds must be 60 to 604800 (7 days) and maxUses 1 to 1000.'],
  'InvalidParameter.SampleRequest': [400, 'The sample request breaks a rule of the tester; details.field names the field.'],
  'InvalidParameter.ServerCertificate': [
    400,
    'A server certificate must be a currently valid leaf naming at least one hostname of the site.',
  ],

  'QuotaExceeded.CaCertificate': [409, "The plan's custom CA quota is used up; delete one first."],
  'QuotaExceeded.WafRule': [409, 'The site has the maximum number of WAF rules.'],
  'Conflict.SiteExists': [409, 'A site with this name already exists.'],
  'Conflict.CaCertificateExists': [409, 'This CA certificate is already uploaded for the site.'],
  'Conflict.CrlNotNewer': [409, 'The CRL is not newer than the one already held.'],
  'Conflict.ConcurrentChange': [409, 'The resource changed while this request ran; try again.'],
  'Conflict.Status': [409, 'The certificate is already in the requested status.'],

  'Payload.TooLarge': [413, 'The request body is too large.'],
  'Request.Malformed': [400, 'The request is not well-formed HTTP/1.1.'],
  'Request.InvalidUrl': [400, 'The URL is not validly percent-encoded.'],
  'Request.MalformedMessage': [400, 'The request message is not a valid protobuf message of its type (or a value is out of range).'],
  'Request.DuplicateHeader': [400, 'A header that may appear only once (Authorization, Host) appears more than once.'],
  'Request.Timeout': [408, 'The request was not received in time.'],
  'Request.ExpectationFailed': [417, 'The only expectation this API meets is "Expect: 100-continue".'],
  'Request.UriTooLong': [414, 'The URL is too long.'],
  'Request.HeadersTooLarge': [431, 'The request headers are too large.'],
  'Payload.UnsupportedMediaType': [415, 'Send JSON (application/json) or a form (application/x-www-form-urlencoded).'],
  Throttling: [429, 'Too many requests; slow down.'],
  Internal: [500, 'Something failed inside the control plane; the request id identifies it in the logs.'],
  'Store.Unavailable': [503, 'The control plane cannot reach its store right now; retry after the delay in Retry-After.'],
} as const satisfies Record<string, readonly [number, string]>;

export type ApiErrorCode = keyof typeof apiErrors;

/**
 * An error a caller sees: a stable code, an HTTP status and a message safe to show. Built
 * from a catalogue code, or from a library error (PkiError, WafError), whose code, status
 * and message pass through unchanged.
 */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  readonly code: string;
  readonly status: number;
  /** Secret-free specifics for the caller (e.g. the offending hostname). */
  readonly details: Readonly<Record<string, unknown>> | undefined;

  constructor(source: ApiErrorCode | LibraryError, options: { message?: string; details?: Record<string, unknown>; cause?: unknown } = {}) {
    const [code, status, message] =
      typeof source === 'string' ? [source, ...apiErrors[source]] : [source.code, source.status, source.message];
    super(options.message ?? message, { cause: options.cause ?? (typeof source === 'string' ? undefined : source) });
    this.code = code;
    this.status = status;
    this.details = options.details;
  }
}

/** The shape of PkiError and WafError: their codes pass through to the API unchanged. */
export interface LibraryError extends Error {
  readonly code: string;
  readonly status: number;
}

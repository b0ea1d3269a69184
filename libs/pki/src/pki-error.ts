/** The HTTP statuses a PKI failure maps to: bad syntax, too large, well-formed but unacceptable. */
export type PkiHttpStatus = 400 | 413 | 422;

interface CodeEntry {
  readonly status: PkiHttpStatus;
  readonly message: string;
}

// The closed catalogue. Codes are stable API: clients and logs match on them, so a code is
// never renamed or reused for another meaning; messages may be reworded.
const catalogue = {
  'Certificate.Malformed': { status: 400, message: 'The certificate is not a well-formed X.509 certificate' },
  'Certificate.TooLarge': { status: 413, message: 'The certificate is larger than accepted' },
  'Certificate.MultipleCertificates': { status: 400, message: 'Exactly one certificate was expected' },

  'SerialNumber.Malformed': { status: 400, message: 'The serial number is not valid hex of at most 20 octets' },

  'Csr.Malformed': { status: 400, message: 'The certificate signing request is not well-formed' },
  'Csr.TooLarge': { status: 413, message: 'The certificate signing request is larger than accepted' },
  'Csr.BadSignature': { status: 422, message: 'The certificate signing request signature does not verify' },
  'Csr.UnsupportedSignature': { status: 422, message: 'The certificate signing request uses a weak or unsupported signature algorithm' },

  'Crl.Malformed': { status: 400, message: 'The certificate revocation list is not well-formed' },
  'Crl.TooLarge': { status: 413, message: 'The certificate revocation list is larger than accepted' },
  'Crl.InvalidNumber': { status: 422, message: 'The CRL number is not a non-negative integer of at most 20 octets' },
  'Crl.Expired': { status: 422, message: 'The certificate revocation list has expired (its nextUpdate has passed)' },
  'Crl.NotYetValid': { status: 422, message: 'The certificate revocation list is not valid yet (its thisUpdate is in the future)' },

  'Key.Malformed': { status: 400, message: 'The key could not be read' },
  'Key.TooWeak': { status: 422, message: 'The key is too weak' },
  'Key.TooLarge': { status: 422, message: 'The key is larger than accepted' },
  'Key.UnsupportedCurve': { status: 422, message: 'The elliptic curve of the key is not supported' },
  'Key.UnsupportedAlgorithm': { status: 422, message: 'The key algorithm is not supported' },
  'Key.Mismatch': { status: 422, message: 'The private key does not belong to the certificate' },

  'Subject.MissingCommonName': { status: 422, message: 'A common name is required' },
  'Subject.InvalidCommonName': { status: 422, message: 'The common name is not acceptable' },
  'Subject.InvalidAttribute': { status: 422, message: 'A subject attribute is not acceptable' },

  'Issuance.InvalidValidity': { status: 422, message: 'The validity period is not acceptable' },
  'Issuance.InvalidSubjectAltName': { status: 422, message: 'A subject alternative name is not an acceptable DNS name or IP address' },

  'IssuingCa.NotCa': { status: 422, message: 'The issuing certificate is not a CA allowed to sign certificates' },
  'IssuingCa.UnsupportedKey': { status: 422, message: 'The issuing CA key type cannot sign certificates here' },
  'IssuingCa.KeyMismatch': { status: 422, message: 'The signer does not hold the issuing CA certificate key' },
  'IssuingCa.Expired': { status: 422, message: 'The issuing CA has expired' },
  'IssuingCa.NotYetValid': { status: 422, message: 'The issuing CA is not valid yet' },

  'CaCertificate.Empty': { status: 400, message: 'No CA certificate was given' },
  'CaCertificate.Malformed': { status: 400, message: 'The CA certificate is not a well-formed PEM X.509 certificate' },
  'CaCertificate.MultipleCertificates': { status: 400, message: 'Upload exactly one CA certificate, not a bundle' },
  'CaCertificate.TooLarge': { status: 413, message: 'The CA certificate is larger than accepted' },
  'CaCertificate.Expired': { status: 422, message: 'The CA certificate has expired' },
  'CaCertificate.NotYetValid': { status: 422, message: 'The CA certificate is not valid yet' },
  'CaCertificate.NotCa': { status: 422, message: 'The certificate is not a CA certificate (basicConstraints CA:TRUE is required)' },
  'CaCertificate.NoKeyCertSign': { status: 422, message: 'The CA certificate key usage does not allow signing certificates (keyCertSign)' },
  'CaCertificate.WeakKey': { status: 422, message: 'The CA certificate key is too weak' },
  'CaCertificate.UnsupportedKey': { status: 422, message: 'The CA certificate key type is not supported' },
  'CaCertificate.WeakSignature': { status: 422, message: 'The CA certificate is signed with a weak algorithm (MD5 or SHA-1)' },
  'CaCertificate.UnsupportedSignature': { status: 422, message: 'The CA certificate signature algorithm is not supported' },

  'Pkcs12.InvalidPassword': { status: 400, message: 'The PKCS#12 password is not acceptable' },
} as const satisfies Record<string, CodeEntry>;

/** Every code a {@link PkiError} can carry: a closed set, stable across releases. */
export type PkiErrorCode = keyof typeof catalogue;

/** All codes with their HTTP status and default user message, for API documentation. */
export const pkiErrorCatalogue: Readonly<Record<PkiErrorCode, CodeEntry>> = catalogue;

/**
 * The one error class of libs/pki. `code` is stable and machine-readable, `status` the HTTP
 * status the API should answer with, `message` safe to show a user: it is built from the
 * catalogue plus an optional `detail` that callers compose only from public facts (sizes,
 * algorithm names, offsets), never from key material. `cause` (the standard Error cause)
 * keeps the underlying error for logs and is left out of {@link PkiError.toJSON}.
 */
export class PkiError extends Error {
  override readonly name = 'PkiError';
  readonly code: PkiErrorCode;
  readonly status: PkiHttpStatus;
  readonly detail: string | undefined;

  constructor(code: PkiErrorCode, options: { readonly detail?: string; readonly cause?: unknown } = {}) {
    const entry = catalogue[code];
    super(options.detail === undefined ? entry.message : `${entry.message}: ${options.detail}`, { cause: options.cause });
    this.code = code;
    this.status = entry.status;
    this.detail = options.detail;
  }

  /** What an API response body may carry: code and user message, never the cause. */
  toJSON(): { code: PkiErrorCode; message: string } {
    return { code: this.code, message: this.message };
  }
}

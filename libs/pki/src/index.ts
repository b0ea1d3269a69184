// The public surface of libs/pki. Everything else under src/ is internal and may change.

// Errors
export { PkiError, pkiErrorCatalogue } from './pki-error.ts';
export type { PkiErrorCode, PkiHttpStatus } from './pki-error.ts';

// Keys
export { generateKeyPair, keyTypes, exportPrivateKeyPem, exportPublicKeyPem, readPrivateKeyPem, readPublicKeyPem } from './key-pair.ts';
export type { GeneratedKeyPair, KeyType } from './key-pair.ts';
export { requireAcceptableKey } from './key-algorithm.ts';
export type { KeyAlgorithm } from './key-algorithm.ts';

// Certificate authorities and issuance
export { createCertificateAuthority } from './certificate-authority.ts';
export type { CertificateAuthorityOptions, CreatedCertificateAuthority } from './certificate-authority.ts';
export type { SubjectInput } from './distinguished-name.ts';
export { loadIssuingCa, localCaSigner } from './issuing-ca.ts';
export type { CaKeySigner, IssuingCa } from './issuing-ca.ts';
export { issueClientCertificate } from './issuance/issue-client-certificate.ts';
export type { ClientCertificateRequest, IssuanceOptions, IssuedClientCertificate } from './issuance/issue-client-certificate.ts';
export { clientCertificatePolicies, maxClientValidityDays } from './issuance/client-certificate-policies.ts';
export { issueServerCertificate } from './issuance/issue-server-certificate.ts';
export type { IssuedServerCertificate, ServerCertificateRequest } from './issuance/issue-server-certificate.ts';
export { serverCertificatePolicies, maxServerValidityDays } from './issuance/server-certificate-policies.ts';
export type { CertificateTemplate, IssuanceContext, IssuancePolicy, IssuanceRequestFacts } from './issuance/issuance-policy.ts';
export { inspectCsr } from './parse-csr.ts';
export type { CsrInfo } from './parse-csr.ts';

// Inspection and validation
export { inspectCertificate, inspectCertificateChain, maxChainPemChars } from './certificate-info.ts';
export type { CertificateInfo, ChainCertificate } from './certificate-info.ts';
export type { KeyUsageName, SubjectAltNames } from './x509-extensions.ts';
export { normaliseSerialHex } from './serial-number.ts';
export { validateCaCertificate, maxCaUploadPemChars, maxCaCertificateDerBytes } from './validate-ca-certificate.ts';
export type { ValidatedCaCertificate } from './validate-ca-certificate.ts';

// Verification at the edge
export { createTrustStore } from './trust-store.ts';
export type { ChainCheckResult, ChainFailureReason, TrustedCa, TrustStore, TrustStoreEntry } from './trust-store.ts';
export { checkCrlCurrent, parseCrl, verifyCrlSignature, revocationReasons } from './certificate-revocation-list.ts';
export type {
  CertificateRevocationList,
  CrlLimits,
  CrlSignatureFailure,
  RevocationReason,
  RevokedCertificate,
} from './certificate-revocation-list.ts';

// Export for key stores
export { exportPkcs12, pkcs12Iterations } from './pkcs12/pkcs12-export.ts';
export type { Pkcs12Contents } from './pkcs12/pkcs12-export.ts';

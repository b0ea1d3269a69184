import type { Envelope } from '../crypto/key-manager.ts';

/**
 * The documents the control plane stores, by kind. Timestamps are ISO-8601 strings in UTC.
 * No document ever holds a private key in clear: CA and server keys are `Envelope`s, and
 * the private keys of client certificates generated here are never stored at all.
 */
export interface Entities {
  account: Account;
  apiKey: ApiKey;
  site: Site;
  serverCertificate: ServerCertificate;
  accountCa: AccountCa;
  clientCertificate: ClientCertificate;
  customCa: CustomCa;
  customCaCrl: CustomCaCrl;
  revocation: Revocation;
  binding: Binding;
  wafRuleset: WafRuleset;
  audit: AuditEntry;
  fleetCa: FleetCa;
  joinToken: JoinToken;
}

export type EntityKind = keyof Entities;
export type EntityOf<K extends EntityKind> = Entities[K];

export interface Account {
  readonly id: string;
  readonly name: string;
  readonly plan: Plan;
  readonly createdAt: string;
}

export interface Plan {
  /** How many custom (uploaded) client CAs the account may hold across its sites. */
  readonly customCaQuota: number;
}

export interface ApiKey {
  readonly id: string;
  readonly accountId: string;
  readonly name: string;
  /** SHA-256 (hex) of the secret part; the secret itself is shown once and never stored. */
  readonly secretHash: string;
  readonly createdAt: string;
  readonly revokedAt?: string;
}

export interface Site {
  readonly id: string;
  readonly accountId: string;
  /** The zone, lower-case ASCII (IDN in punycode), e.g. `example.com`. */
  readonly name: string;
  /** Where edges forward requests that pass, e.g. `https://origin.example.com:8443`. */
  readonly originUrl: string;
  /** Edges send the origin the client certificate as RFC 9440 `Client-Cert`; default false. */
  readonly forwardClientCert?: boolean;
  readonly createdAt: string;
  readonly updatedAt: string;
}

/** A certificate chain + key the edges present for some hostnames of a site. */
export interface ServerCertificate {
  readonly id: string;
  readonly accountId: string;
  readonly siteId: string;
  /** Leaf first, then intermediates, PEM. */
  readonly certificatePem: string;
  readonly privateKey: Envelope;
  /** DNS names of the leaf (SAN), lower-case; may include wildcards like `*.example.com`. */
  readonly hostnames: readonly string[];
  readonly fingerprintSha256: string;
  readonly notBefore: string;
  readonly notAfter: string;
  readonly createdAt: string;
}

/** Facts about a certificate that the API returns (from libs/pki inspection). */
export interface CertificateFacts {
  readonly commonName: string;
  readonly subjectDn: string;
  readonly issuerDn: string;
  readonly serialNumber: string;
  readonly fingerprintSha256: string;
  readonly signatureAlgorithm: string;
  readonly pubkeyAlgorithm: string;
  readonly san: readonly string[];
  readonly notBefore: string;
  readonly notAfter: string;
  readonly subjectKeyId: string | undefined;
}

/** The CA the control plane runs for one account; its id is the account id. */
export interface AccountCa {
  readonly id: string;
  readonly accountId: string;
  readonly certificatePem: string;
  readonly privateKey: Envelope;
  readonly facts: CertificateFacts;
  readonly createdAt: string;
}

export type ClientCertificateStatus = 'active' | 'revoked';

export interface ClientCertificate {
  readonly id: string;
  readonly accountId: string;
  readonly siteId: string;
  /** The issuing CA: always the account CA, whose id is the account id. */
  readonly caId: string;
  readonly status: ClientCertificateStatus;
  readonly certificatePem: string;
  readonly facts: CertificateFacts;
  readonly validityDays: number;
  /** `system`: the key was generated here and returned once; `csr`: the user holds it. */
  readonly keySource: 'system' | 'csr';
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly revokedAt?: string;
}

/** A client CA a user uploaded ("bring your own CA"). */
export interface CustomCa {
  readonly id: string;
  readonly accountId: string;
  readonly siteId: string;
  readonly name: string;
  readonly certificatePem: string;
  readonly facts: CertificateFacts;
  readonly createdAt: string;
}

/** The newest CRL a user uploaded for a custom CA (id = the custom CA's id). */
export interface CustomCaCrl {
  readonly id: string;
  readonly accountId: string;
  readonly caId: string;
  /** The CRL as uploaded, DER in base64, so it can be served back and re-parsed. */
  readonly derBase64: string;
  readonly crlNumber: string | undefined;
  readonly thisUpdate: string;
  readonly nextUpdate: string | undefined;
  /**
   * Revoked serials (normalised lower-case hex): those the CRL lists, plus those an earlier
   * CRL revoked for good that a later one no longer lists (see `uploadCrl` in custom-cas.ts).
   */
  readonly revokedSerials: readonly string[];
  /** The listed serials whose reason is certificateHold: the only ones a later CRL may release. */
  readonly onHoldSerials?: readonly string[];
  readonly uploadedAt: string;
}

/**
 * A serial the edges must refuse although no certificate document says so (id =
 * `<caId>:<serial>`): a custom CA's serial revoked by hand, or an account-CA certificate
 * that was deleted (deleting must not make a certificate valid again).
 */
export interface Revocation {
  readonly id: string;
  readonly accountId: string;
  readonly caId: string;
  readonly serialNumber: string;
  readonly source: 'manual' | 'deleted-certificate';
  readonly reason: string | undefined;
  readonly revokedAt: string;
}

/**
 * The hostnames of a site on which certificates from one CA are accepted
 * (id = `<siteId>:<caId>`; `caId` is the account id for the account CA).
 */
export interface Binding {
  readonly id: string;
  readonly accountId: string;
  readonly siteId: string;
  readonly caId: string;
  readonly hostnames: readonly string[];
  readonly updatedAt: string;
}

/** The ordered WAF custom rules of one site (id = the site id). */
export interface WafRuleset {
  readonly id: string;
  readonly accountId: string;
  readonly siteId: string;
  readonly rules: readonly WafRule[];
  readonly updatedAt: string;
}

export interface WafRule {
  readonly id: string;
  readonly name: string;
  readonly expression: string;
  readonly action: WafAction;
  readonly enabled: boolean;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export type WafAction =
  | { readonly type: 'block'; readonly status: number; readonly body?: string; readonly contentType?: string }
  | { readonly type: 'log' }
  | { readonly type: 'allow' };

/**
 * The CA of the edge fleet (one document, id `fleet`): it issues the node certificates edges
 * present on the discovery stream and each replica's discovery server certificate.
 */
export interface FleetCa {
  readonly id: string;
  readonly certificatePem: string;
  readonly privateKey: Envelope;
  readonly facts: CertificateFacts;
  readonly createdAt: string;
}

/** A token an edge presents once to enroll (get its node certificate); the secret is shown once. */
export interface JoinToken {
  readonly id: string;
  readonly name: string;
  /** SHA-256 (hex) of the secret part, as for API keys. */
  readonly secretHash: string;
  readonly createdAt: string;
  readonly expiresAt: string;
  readonly maxUses: number;
  readonly uses: number;
  readonly lastUsedAt?: string;
}

/** One recorded change, written by the store with the change itself. */
export interface AuditEntry {
  readonly id: string;
  readonly accountId: string;
  readonly revision: number;
  readonly at: string;
  readonly actor: string;
  readonly requestId: string;
  readonly action: string;
  readonly target: { readonly kind: EntityKind; readonly id: string };
  readonly details?: Readonly<Record<string, string | number | boolean>>;
}

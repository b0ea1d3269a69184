import type tls from 'node:tls';
import type { TrustStore } from '@portcullis/pki';
import type { CompiledRuleset } from '@portcullis/waf';

/**
 * Resources after the edge decoded and validated them: everything the serving path needs is
 * already parsed and built (URLs, trust stores, SecureContexts, rulesets, serial sets), so a
 * configuration swap never parses on the serving path. All values are immutable.
 */
export interface CompiledSite {
  readonly id: string;
  readonly zone: string;
  readonly origin: URL;
  /** Send the origin the client certificate as RFC 9440 `Client-Cert`. */
  readonly forwardClientCert: boolean;
}

/** One client CA of a site: its id (the revocation sets' key), PEM and SHA-256 fingerprint. */
export interface CompiledCa {
  readonly id: string;
  readonly pem: string;
  readonly fingerprintSha256: string;
}

export interface CompiledTrust {
  readonly siteId: string;
  readonly cas: ReadonlyMap<string, CompiledCa>;
  /** Exact hostname → ids of the CAs bound to it. */
  readonly exact: ReadonlyMap<string, readonly string[]>;
  /** Parent of a `*.` binding → ids of the CAs bound to the wildcard. */
  readonly wildcard: ReadonlyMap<string, readonly string[]>;
}

export interface CompiledCredential {
  readonly id: string;
  readonly siteId: string;
  /** The resource version: a context built from this credential is keyed by it. */
  readonly version: string;
  readonly chainPem: string;
  readonly keyPem: string;
  readonly exact: ReadonlySet<string>;
  /** Parents of the `*.` names the credential serves. */
  readonly wildcard: ReadonlySet<string>;
  /** The leaf's notAfter (ms): of two credentials for one name, the later one serves. */
  readonly notAfter: number;
  /** The context for hostnames without mTLS, built while validating. */
  readonly plainContext: tls.SecureContext;
}

export interface CompiledRevocations {
  readonly caId: string;
  readonly serials: ReadonlySet<string>;
}

export interface CompiledWaf {
  readonly siteId: string;
  readonly ruleset: CompiledRuleset;
}

/** The compiled form of each resource type. */
export interface CompiledResources {
  site: CompiledSite;
  trust: CompiledTrust;
  credential: CompiledCredential;
  revocations: CompiledRevocations;
  waf: CompiledWaf;
}

/** A trust store built for one set of CAs, with the ids it was built from. */
export interface HostnameTrust {
  readonly caIds: readonly string[];
  readonly store: TrustStore;
}

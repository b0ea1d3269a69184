/**
 * What the domain services count, whatever the transport that called them (REST, RPC, gRPC
 * admin): each operation once, after its write committed. Implemented by the control plane's
 * metrics (metrics/control-plane-metrics.ts); absent, nothing is counted.
 */
export interface DomainMetrics {
  /** A client certificate was issued and stored; `keySource` says `csr` (the caller holds the key) or `system` (a key generated here). */
  certificateIssued(keySource: 'csr' | 'system'): void;
  /**
   * A revocation took effect: `client_certificate` (an issued certificate revoked),
   * `custom_ca_serial` (a serial of an uploaded CA revoked by hand).
   */
  revoked(kind: 'client_certificate' | 'custom_ca_serial'): void;
}

import type { Store } from '../store/store.ts';
import { listAll } from './list-all.ts';
import { indexes, uniques } from './names.ts';

/** The client CAs of one site: which CA ids each bound hostname trusts, and their certificates. */
export interface SiteTrust {
  /** Bound hostname (exact or `*.` wildcard) → ids of the CAs bound to it. */
  readonly bindings: ReadonlyMap<string, readonly string[]>;
  /** CA id → certificate PEM, for every CA that is bound somewhere on the site. */
  readonly certificates: ReadonlyMap<string, string>;
}

/** Reads a site's bindings and the certificates of the CAs they name. */
export async function loadSiteTrust(store: Store, siteId: string): Promise<SiteTrust> {
  const bindings = new Map<string, string[]>();
  const certificates = new Map<string, string>();
  for (const { data: binding } of await listAll(store, 'binding', indexes.bindingsOf(siteId))) {
    for (const hostname of binding.hostnames) bindings.set(hostname, [...(bindings.get(hostname) ?? []), binding.caId]);
    if (certificates.has(binding.caId)) continue;
    const ca = binding.caId === binding.accountId ? await store.get('accountCa', binding.caId) : await store.get('customCa', binding.caId);
    if (ca) certificates.set(binding.caId, ca.data.certificatePem);
  }
  return { bindings, certificates };
}

/**
 * The CAs whose certificates `host` accepts: those bound to the exact name, together with
 * those bound to a wildcard covering it (`*.example.com` covers `a.example.com`, one label
 * only, as TLS wildcards do). An empty list means the hostname does not ask for certificates.
 */
export function casForHost(trust: SiteTrust, host: string): string[] {
  const dot = host.indexOf('.');
  const wildcard = dot > 0 ? `*${host.slice(dot)}` : undefined;
  const ids = [...(trust.bindings.get(host) ?? []), ...((wildcard && trust.bindings.get(wildcard)) || [])];
  return [...new Set(ids)].filter((id) => trust.certificates.has(id));
}

/**
 * Whether `serial` of the CA `caId` is revoked: a revocation record (hand revocation or a
 * deleted certificate), an account-CA certificate in status `revoked`, or the custom CA's CRL.
 */
export async function isRevoked(store: Store, caId: string, serial: string): Promise<boolean> {
  if (await store.get('revocation', `${caId}:${serial}`)) return true;
  const certificateId = await store.findUnique(uniques.clientCertificateSerial(caId), serial);
  if (certificateId) {
    const certificate = await store.get('clientCertificate', certificateId);
    if (certificate?.data.status === 'revoked') return true;
  }
  const crl = await store.get('customCaCrl', caId);
  return crl?.data.revokedSerials.includes(serial) ?? false;
}

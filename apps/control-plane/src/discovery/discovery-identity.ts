import { isIP } from 'node:net';
import { issueServerCertificate } from '@portcullis/pki';
import type { FleetCaService } from '../domain/fleet-ca.ts';
import type { DiscoveryTls } from './discovery-server.ts';

/** Days the discovery server certificate is valid; a replica issues a new one at every start. */
export const discoveryCertificateValidityDays = 365;

/**
 * The TLS identity of this replica's discovery port, issued now from the fleet CA (created on
 * first use): a fresh P-256 key that never leaves the process, and a serverAuth certificate
 * for `localhost`, `127.0.0.1`, `::1` and `names` (DNS names or IP addresses, e.g. from
 * PORTCULLIS_DISCOVERY_NAMES) — the names edges dial. Valid 365 days (never beyond the CA):
 * restart a replica within a year. Throws libs/pki's `Issuance.InvalidSubjectAltName` for a
 * name that is neither.
 */
export async function discoveryServerIdentity(
  fleetCa: FleetCaService,
  names: readonly string[],
  options: { now: Date; requestId: string },
): Promise<DiscoveryTls & { readonly notAfter: Date }> {
  const issuer = await fleetCa.issuer(options.requestId);
  const all = [...new Set(['localhost', '127.0.0.1', '::1', ...names.map((n) => n.toLowerCase())])];
  const issued = await issueServerCertificate(
    issuer,
    {
      keyType: 'ec-p256',
      dnsNames: all.filter((n) => isIP(n) === 0),
      ipAddresses: all.filter((n) => isIP(n) !== 0),
      commonName: 'Portcullis discovery',
      validityDays: discoveryCertificateValidityDays,
    },
    { now: options.now },
  );
  return {
    fleetCaPem: issuer.certificatePem,
    certificateChainPem: issued.certificatePem,
    privateKeyPem: issued.privateKeyPem!,
    notAfter: issued.info.notAfter,
  };
}

import {
  createCertificateAuthority,
  issueClientCertificate,
  loadIssuingCa,
  localCaSigner,
  type CreatedCertificateAuthority,
} from '@portcullis/pki';

/** A CA made with libs/pki (ECDSA P-256, keyCertSign + cRLSign), as a user's own CA would be. */
export async function makeCa(
  commonName: string,
  options: { now?: Date; validityDays?: number } = {},
): Promise<CreatedCertificateAuthority> {
  return createCertificateAuthority({ subject: { commonName, organization: 'Tenant PKI' }, ...options });
}

/** A client certificate issued by `ca` (PEM and serial). */
export async function issueFrom(
  ca: CreatedCertificateAuthority,
  commonName: string,
): Promise<{ certificatePem: string; serialNumber: string }> {
  const issuing = await loadIssuingCa(ca.certificatePem, localCaSigner(ca.privateKey));
  const issued = await issueClientCertificate(issuing, { keyType: 'ec-p256', commonName });
  return { certificatePem: issued.certificatePem, serialNumber: issued.info.serialNumber };
}

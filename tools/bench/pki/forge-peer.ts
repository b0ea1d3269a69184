import forge from 'node-forge';

/**
 * node-forge as a peer: issue an RSA-2048 client certificate for an already generated public
 * key, signed by an RSA CA, with the same profile libs/pki uses (CA:FALSE, keyUsage,
 * clientAuth, SKI, AKI). forge is pure JavaScript and has no ECDSA certificates at all, so this
 * is the only comparison it allows. Keys are converted to forge objects once, outside the loop.
 */
export function forgeIssuer(caCertificatePem: string, caPrivateKeyPem: string, leafPublicKeyPem: string): (i: number) => string {
  const caCert = forge.pki.certificateFromPem(caCertificatePem);
  const caKey = forge.pki.privateKeyFromPem(caPrivateKeyPem);
  const leafKey = forge.pki.publicKeyFromPem(leafPublicKeyPem);
  const authorityKeyId = caCert.generateSubjectKeyIdentifier().getBytes();
  return (i) => {
    const cert = forge.pki.createCertificate();
    cert.publicKey = leafKey;
    cert.serialNumber = forge.util.bytesToHex(forge.random.getBytesSync(16)).replace(/^[89a-f]/, '7');
    cert.validity.notBefore = new Date(Date.now() - 60_000);
    cert.validity.notAfter = new Date(Date.now() + 365 * 86_400_000);
    cert.setSubject([{ name: 'commonName', value: `forge-${i}` }]);
    cert.setIssuer(caCert.subject.attributes);
    cert.setExtensions([
      { name: 'basicConstraints', cA: false, critical: true },
      { name: 'keyUsage', digitalSignature: true, keyEncipherment: true, critical: true },
      { name: 'extKeyUsage', clientAuth: true },
      { name: 'subjectKeyIdentifier' },
      { name: 'authorityKeyIdentifier', keyIdentifier: authorityKeyId },
    ]);
    cert.sign(caKey, forge.md.sha256.create());
    return forge.pki.certificateToPem(cert);
  };
}

import crypto from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCertificateAuthority } from './certificate-authority.ts';
import { issueClientCertificate } from './issuance/issue-client-certificate.ts';
import { loadIssuingCa, localCaSigner } from './issuing-ca.ts';
import { expectPkiError } from './test/expect-pki-error.ts';
import { TempDir, openssl } from './test/openssl.ts';

describe('loadIssuingCa', () => {
  let dir: TempDir;
  beforeAll(() => {
    dir = new TempDir();
  });
  afterAll(() => dir.remove());

  it('issues from a CA made by openssl without an SKI, computing the AKI from its key', async () => {
    dir.write(
      'ca.cnf',
      [
        '[req]',
        'distinguished_name=dn',
        '[dn]',
        '[ca]',
        'basicConstraints=critical,CA:TRUE',
        'keyUsage=critical,keyCertSign,cRLSign',
        'subjectKeyIdentifier=none',
        'authorityKeyIdentifier=none',
      ].join('\n'),
    );
    openssl([
      'req',
      '-x509',
      '-new',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      dir.path('ca.key'),
      '-out',
      dir.path('ca.pem'),
      '-days',
      '5',
      '-subj',
      '/CN=openssl CA',
      '-config',
      dir.path('ca.cnf'),
      '-extensions',
      'ca',
    ]);
    expect(openssl(['x509', '-in', dir.path('ca.pem'), '-noout', '-text'])).not.toContain('Subject Key Identifier');
    const ca = await loadIssuingCa(dir.text('ca.pem'), localCaSigner(dir.text('ca.key')));
    expect(ca.signingAlgorithm).toBe('sha256WithRSAEncryption');
    const issued = await issueClientCertificate(ca, { keyType: 'ec-p256', commonName: 'leaf' });
    const leaf = dir.write('leaf.pem', issued.certificatePem);
    expect(openssl(['verify', '-CAfile', dir.path('ca.pem'), '-purpose', 'sslclient', leaf])).toContain('OK');
    // RFC 5280 method 1: SHA-1 of the key bits, which is what openssl's `hash` computes too.
    const keyBits = crypto.createPublicKey(dir.text('ca.pem')).export({ type: 'spki', format: 'der' }).subarray(24);
    expect(issued.info.authorityKeyId).toBe(crypto.hash('sha1', keyBits, 'hex'));
  });

  it('refuses leaves, foreign keys, failing signers and keys it cannot sign with', async () => {
    const ca = await createCertificateAuthority({ subject: { commonName: 'CA' } });
    const other = await createCertificateAuthority({ subject: { commonName: 'Other' } });
    const issuing = await loadIssuingCa(ca.certificatePem, localCaSigner(ca.privateKey));
    const leaf = await issueClientCertificate(issuing, { keyType: 'ec-p256', commonName: 'leaf' });
    await expectPkiError(loadIssuingCa(leaf.certificatePem, localCaSigner(leaf.privateKeyPem!)), 'IssuingCa.NotCa');
    await expectPkiError(loadIssuingCa(ca.certificatePem, localCaSigner(other.privateKey)), 'IssuingCa.KeyMismatch');
    await expectPkiError(
      loadIssuingCa(ca.certificatePem, { sign: () => Promise.reject(new Error('HSM offline')) }),
      'IssuingCa.KeyMismatch',
    );
    openssl([
      'req',
      '-x509',
      '-new',
      '-newkey',
      'ed25519',
      '-nodes',
      '-keyout',
      dir.path('ed.key'),
      '-out',
      dir.path('ed.pem'),
      '-days',
      '5',
      '-subj',
      '/CN=ed CA',
      '-addext',
      'keyUsage=critical,keyCertSign',
    ]);
    await expectPkiError(loadIssuingCa(dir.text('ed.pem'), localCaSigner(dir.text('ed.key'))), 'IssuingCa.UnsupportedKey');
    await expectPkiError(() => localCaSigner('not a key'), 'Key.Malformed');
  });

  it('refuses a CA whose key fails the key policy (RSA-1024): IssuingCa.UnsupportedKey', async () => {
    openssl([
      'req',
      '-x509',
      '-new',
      '-newkey',
      'rsa:1024',
      '-nodes',
      '-keyout',
      dir.path('weak.key'),
      '-out',
      dir.path('weak.pem'),
      '-days',
      '5',
      '-subj',
      '/CN=weak CA',
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign',
    ]);
    const error = await expectPkiError(
      loadIssuingCa(dir.text('weak.pem'), localCaSigner(dir.text('weak.key'))),
      'IssuingCa.UnsupportedKey',
    );
    expect(error.message).toContain('1024 bits');
  });
});

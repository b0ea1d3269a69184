import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCertificateAuthority } from './certificate-authority.ts';
import type { CreatedCertificateAuthority } from './certificate-authority.ts';
import { issueClientCertificate } from './issuance/issue-client-certificate.ts';
import { loadIssuingCa, localCaSigner } from './issuing-ca.ts';
import type { IssuingCa } from './issuing-ca.ts';
import { encodePem } from './pem.ts';
import { expectPkiError } from './test/expect-pki-error.ts';
import { TempDir, flipByte, openssl, opensslResult, pemToDer } from './test/openssl.ts';
import { createTrustStore } from './trust-store.ts';
import type { TrustStore } from './trust-store.ts';

const dayMs = 86_400_000;

describe('TrustStore.verify', () => {
  let dir: TempDir;
  let ca: CreatedCertificateAuthority;
  let issuing: IssuingCa;
  let twin: CreatedCertificateAuthority;
  let twinIssuing: IssuingCa;
  let stranger: IssuingCa;
  let rsaCa: CreatedCertificateAuthority;
  let store: TrustStore;

  /** `openssl verify -purpose sslclient` of a leaf against the trusted CA file: its exit status and message. */
  function opensslVerdict(leafPem: string, caFile = dir.path('ca.pem')): string {
    const run = opensslResult(['verify', '-CAfile', caFile, '-purpose', 'sslclient', dir.write('leaf-under-test.pem', leafPem)]);
    return run.status === 0 ? 'OK' : run.stdout + run.stderr;
  }

  /** Signs a CSR with the trusted CA's key through `openssl x509 -req`, with the given extension lines. */
  function opensslIssued(
    name: string,
    extensions: readonly string[],
    digest = '-sha256',
    caName = 'ca',
    extra: readonly string[] = [],
  ): string {
    openssl([
      'req',
      '-new',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-keyout',
      dir.path(`${name}.key`),
      '-out',
      dir.path(`${name}.csr`),
      '-subj',
      `/CN=${name}`,
    ]);
    dir.write(`${name}.ext`, ['[ext]', ...extensions].join('\n'));
    openssl([
      'x509',
      '-req',
      '-in',
      dir.path(`${name}.csr`),
      '-CA',
      dir.path(`${caName}.pem`),
      '-CAkey',
      dir.path(`${caName}.key`),
      '-CAcreateserial',
      '-days',
      '5',
      digest,
      '-extfile',
      dir.path(`${name}.ext`),
      '-extensions',
      'ext',
      ...extra,
      '-out',
      dir.path(`${name}.pem`),
    ]);
    return dir.text(`${name}.pem`);
  }

  beforeAll(async () => {
    dir = new TempDir();
    ca = await createCertificateAuthority({ subject: { commonName: 'Client CA', organization: 'Example' } });
    issuing = await loadIssuingCa(ca.certificatePem, localCaSigner(ca.privateKey));
    // Another CA with the very same subject name but its own key.
    twin = await createCertificateAuthority({ subject: { commonName: 'Client CA', organization: 'Example' } });
    twinIssuing = await loadIssuingCa(twin.certificatePem, localCaSigner(twin.privateKey));
    const strangerCa = await createCertificateAuthority({ subject: { commonName: 'Stranger CA' } });
    stranger = await loadIssuingCa(strangerCa.certificatePem, localCaSigner(strangerCa.privateKey));
    rsaCa = await createCertificateAuthority({ subject: { commonName: 'RSA Client CA' }, keyType: 'rsa-2048' });
    dir.write('ca.pem', ca.certificatePem);
    dir.write('ca.key', ca.privateKeyPem);
    dir.write('twin.pem', twin.certificatePem);
    dir.write('twin.key', twin.privateKeyPem);
    dir.write('rsa.pem', rsaCa.certificatePem);
    dir.write('rsa.key', rsaCa.privateKeyPem);
    store = createTrustStore([
      { id: 'account-ca', certificate: ca.certificatePem },
      { id: 'rsa-ca', certificate: pemToDer(rsaCa.certificatePem) },
    ]);
  });
  afterAll(() => dir.remove());

  it('accepts a client certificate issued by a trusted CA, from PEM or DER, and names the CA', async () => {
    const leaf = await issueClientCertificate(issuing, { keyType: 'ec-p256', commonName: 'alice' });
    expect(store.verify(leaf.certificatePem)).toEqual({ ok: true, ca: store.cas[0] });
    expect(store.verify(leaf.certificateDer)).toMatchObject({
      ok: true,
      ca: { id: 'account-ca', info: { subject: 'CN=Client CA,O=Example' } },
    });
    expect(opensslVerdict(leaf.certificatePem)).toBe('OK');
    const rsaIssuing = await loadIssuingCa(rsaCa.certificatePem, localCaSigner(rsaCa.privateKey));
    const rsaLeaf = await issueClientCertificate(rsaIssuing, { keyType: 'ec-p384', commonName: 'bob' });
    expect(store.verify(rsaLeaf.certificateDer)).toMatchObject({ ok: true, ca: { id: 'rsa-ca' } });
    expect(store.cas.map((c) => c.id)).toEqual(['account-ca', 'rsa-ca']);
  });

  it('accepts what openssl issues from the same CA, with or without extensions that restrict usage', () => {
    const withEku = opensslIssued('os-client', ['extendedKeyUsage=clientAuth', 'keyUsage=critical,digitalSignature']);
    expect(store.verify(withEku)).toMatchObject({ ok: true });
    expect(opensslVerdict(withEku)).toBe('OK');
    const bare = opensslIssued('os-bare', ['subjectKeyIdentifier=hash']);
    expect(store.verify(bare)).toMatchObject({ ok: true });
  });

  it('says untrusted for an unknown CA, and for another CA with the same name (as openssl does)', async () => {
    const foreign = await issueClientCertificate(stranger, { keyType: 'ec-p256', commonName: 'mallory' });
    expect(store.verify(foreign.certificatePem)).toEqual({ ok: false, reason: 'untrusted' });
    expect(opensslVerdict(foreign.certificatePem)).toContain('unable to get local issuer certificate');
    // Same issuer DN as the trusted CA, but its AKI names the twin's key: untrusted, not bad_signature.
    const lookalike = await issueClientCertificate(twinIssuing, { keyType: 'ec-p256', commonName: 'mallory' });
    expect(lookalike.info.issuer).toBe(ca.info.subject);
    expect(store.verify(lookalike.certificatePem)).toEqual({ ok: false, reason: 'untrusted' });
    expect(opensslVerdict(lookalike.certificatePem)).toContain('unable to get local issuer certificate');
  });

  it('says bad_signature for a forged or corrupted signature, and for a twin-CA leaf without AKI', async () => {
    const leaf = await issueClientCertificate(issuing, { keyType: 'ec-p256', commonName: 'alice' });
    // The last byte is inside the ECDSA signature's s value.
    const corrupted = encodePem('CERTIFICATE', flipByte(leaf.certificateDer, -1, 0x01));
    expect(store.verify(corrupted)).toEqual({ ok: false, reason: 'bad_signature' });
    expect(opensslVerdict(corrupted)).toContain('signature');
    // Without an AKI nothing but the name links the leaf to a CA, so the signature decides.
    const noAki = opensslIssued(
      'twin-no-aki',
      ['subjectKeyIdentifier=none', 'authorityKeyIdentifier=none', 'extendedKeyUsage=clientAuth'],
      '-sha256',
      'twin',
    );
    expect(noAki).not.toContain('Authority Key');
    expect(store.verify(noAki)).toEqual({ ok: false, reason: 'bad_signature' });
    expect(opensslVerdict(noAki)).toContain('certificate signature failure');
  });

  it('verifies RSASSA-PSS signatures with the salt length and hash the certificate names', () => {
    for (const [name, digest, saltLength] of [
      ['pss-256', '-sha256', 'digest'],
      ['pss-384', '-sha384', 'max'],
    ] as const) {
      const pss = opensslIssued(name, ['extendedKeyUsage=clientAuth'], digest, 'rsa', [
        '-sigopt',
        'rsa_padding_mode:pss',
        '-sigopt',
        `rsa_pss_saltlen:${saltLength}`,
      ]);
      expect(openssl(['x509', '-noout', '-text'], { input: pss })).toContain('rsassaPss');
      expect(store.verify(pss)).toMatchObject({ ok: true, ca: { id: 'rsa-ca' } });
      expect(opensslVerdict(pss, dir.path('rsa.pem'))).toBe('OK');
      expect(store.verify(flipByte(pemToDer(pss), -3, 0x01))).toEqual({ ok: false, reason: 'bad_signature' });
    }
  });

  it('says bad_signature for a SHA-1 signature even from the trusted key', () => {
    const sha1 = opensslIssued('sha1-leaf', ['extendedKeyUsage=clientAuth'], '-sha1', 'rsa');
    expect(store.verify(sha1)).toEqual({ ok: false, reason: 'bad_signature' });
  });

  it('says expired and not_yet_valid outside the validity, and ok at a time inside it', async () => {
    const then = new Date(Date.now() - 400 * dayMs);
    const oldCa = await createCertificateAuthority({ subject: { commonName: 'Long-lived CA' }, now: new Date(Date.now() - 500 * dayMs) });
    const oldIssuing = await loadIssuingCa(oldCa.certificatePem, localCaSigner(oldCa.privateKey));
    const oldStore = createTrustStore([{ id: 'old', certificate: oldCa.certificatePem }]);
    const expired = await issueClientCertificate(oldIssuing, { keyType: 'ec-p256', commonName: 'gone', validityDays: 30 }, { now: then });
    expect(oldStore.verify(expired.certificatePem)).toEqual({ ok: false, reason: 'expired' });
    expect(oldStore.verify(expired.certificatePem, new Date(then.getTime() + dayMs))).toMatchObject({ ok: true });
    dir.write('old-ca.pem', oldCa.certificatePem);
    expect(opensslVerdict(expired.certificatePem, dir.path('old-ca.pem'))).toContain('certificate has expired');

    const early = await issueClientCertificate(
      issuing,
      { keyType: 'ec-p256', commonName: 'soon' },
      { now: new Date(Date.now() + 10 * dayMs) },
    );
    expect(store.verify(early.certificatePem)).toEqual({ ok: false, reason: 'not_yet_valid' });
    expect(opensslVerdict(early.certificatePem)).toContain('certificate is not yet valid');
    // The CA's own validity counts too.
    const afterCa = new Date(ca.info.notAfter.getTime() + 1000);
    const leaf = await issueClientCertificate(issuing, { keyType: 'ec-p256', commonName: 'x' });
    expect(store.verify(leaf.certificatePem, afterCa)).toEqual({ ok: false, reason: 'expired' });
  });

  it('says not_client_certificate for server-only EKU or a keyUsage without digitalSignature', () => {
    const serverOnly = opensslIssued('server-only', ['extendedKeyUsage=serverAuth', 'keyUsage=critical,digitalSignature']);
    expect(store.verify(serverOnly)).toEqual({ ok: false, reason: 'not_client_certificate' });
    expect(opensslVerdict(serverOnly)).toContain('unsuitable certificate purpose');
    const keyAgreementOnly = opensslIssued('ka-only', ['extendedKeyUsage=clientAuth', 'keyUsage=critical,keyEncipherment']);
    expect(store.verify(keyAgreementOnly)).toEqual({ ok: false, reason: 'not_client_certificate' });
  });

  it('says not_client_certificate for a CA certificate, a leaf with keyCertSign, anyExtendedKeyUsage alone or a weak key', () => {
    // A sub-CA the trusted CA issued, whose key a client could hold: chaining and signature
    // are fine, but a CA is not a client. Before this check it verified SUCCESS.
    const subCa = opensslIssued('sub-ca', [
      'basicConstraints=critical,CA:TRUE',
      'keyUsage=critical,digitalSignature,keyCertSign,cRLSign',
      'extendedKeyUsage=clientAuth',
    ]);
    expect(store.verify(subCa)).toEqual({ ok: false, reason: 'not_client_certificate' });
    const bareCa = opensslIssued('bare-ca', ['basicConstraints=critical,CA:TRUE']);
    expect(store.verify(bareCa)).toEqual({ ok: false, reason: 'not_client_certificate' });
    const certSign = opensslIssued('cert-sign', ['keyUsage=critical,digitalSignature,keyCertSign', 'extendedKeyUsage=clientAuth']);
    expect(store.verify(certSign)).toEqual({ ok: false, reason: 'not_client_certificate' });
    const anyEku = opensslIssued('any-eku', ['extendedKeyUsage=anyExtendedKeyUsage']);
    expect(store.verify(anyEku)).toEqual({ ok: false, reason: 'not_client_certificate' });
    // The same profile with CA:FALSE, clientAuth and digitalSignature verifies: only what differs is refused.
    const client = opensslIssued('plain-client', [
      'basicConstraints=critical,CA:FALSE',
      'keyUsage=critical,digitalSignature',
      'extendedKeyUsage=clientAuth',
    ]);
    expect(store.verify(client)).toMatchObject({ ok: true, ca: { id: 'account-ca' } });
    expect(opensslVerdict(client)).toBe('OK');

    // An RSA-1024 client key, refused by the same key policy as CSRs and CA uploads.
    openssl([
      'req',
      '-new',
      '-newkey',
      'rsa:1024',
      '-nodes',
      '-keyout',
      dir.path('rsa1024.key'),
      '-out',
      dir.path('rsa1024.csr'),
      '-subj',
      '/CN=rsa1024',
    ]);
    dir.write('client.ext', '[ext]\nextendedKeyUsage=clientAuth\nkeyUsage=critical,digitalSignature\n');
    openssl([
      'x509',
      '-req',
      '-in',
      dir.path('rsa1024.csr'),
      '-CA',
      dir.path('ca.pem'),
      '-CAkey',
      dir.path('ca.key'),
      '-CAcreateserial',
      '-days',
      '5',
      '-extfile',
      dir.path('client.ext'),
      '-extensions',
      'ext',
      '-out',
      dir.path('rsa1024.pem'),
    ]);
    expect(store.verify(dir.text('rsa1024.pem'))).toEqual({ ok: false, reason: 'not_client_certificate' });
  });

  it('picks the right CA among trusted CAs that share a subject name', async () => {
    const both = createTrustStore([
      { id: 'first', certificate: ca.certificatePem },
      { id: 'second', certificate: twin.certificatePem },
    ]);
    const fromTwin = await issueClientCertificate(twinIssuing, { keyType: 'ec-p256', commonName: 't' });
    expect(both.verify(fromTwin.certificatePem)).toMatchObject({ ok: true, ca: { id: 'second' } });
    const noAki = dir.text('twin-no-aki.pem');
    expect(both.verify(noAki)).toMatchObject({ ok: true, ca: { id: 'second' } });
  });

  it('refuses to trust a leaf, garbage or a weak CA key, and throws PkiError for an unparseable leaf', async () => {
    const leaf = await issueClientCertificate(issuing, { keyType: 'ec-p256', commonName: 'leaf' });
    await expectPkiError(() => createTrustStore([{ id: 'leaf', certificate: leaf.certificatePem }]), 'CaCertificate.NotCa');
    await expectPkiError(() => createTrustStore([{ id: 'junk', certificate: 'junk' }]), 'Certificate.Malformed');
    openssl([
      'req',
      '-x509',
      '-new',
      '-newkey',
      'rsa:1024',
      '-nodes',
      '-keyout',
      dir.path('weak-ca.key'),
      '-out',
      dir.path('weak-ca.pem'),
      '-days',
      '5',
      '-subj',
      '/CN=weak CA',
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign',
    ]);
    await expectPkiError(() => createTrustStore([{ id: 'weak', certificate: dir.text('weak-ca.pem') }]), 'CaCertificate.WeakKey');
    await expectPkiError(() => store.verify(leaf.certificateDer.subarray(0, 100)), 'Certificate.Malformed');
    await expectPkiError(() => store.verify(''), 'Certificate.Malformed');
    expect(createTrustStore([]).verify(leaf.certificatePem)).toEqual({ ok: false, reason: 'untrusted' });
  });
});

import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createCertificateAuthority, issueServerCertificate, loadIssuingCa, localCaSigner } from '@portcullis/pki';
import { openssl } from './openssl.ts';

/** What the second journey uploads: a server chain and key, a client CA and its CRL, a CSR. */
export interface TestMaterial {
  readonly serverChainPem: string;
  readonly serverKeyPem: string;
  readonly clientCaPem: string;
  readonly clientCaCrlPem: string;
  readonly csrPem: string;
}

/**
 * Makes it in `dir`: a server certificate for `zone` and `*.zone` from a throwaway CA, a client
 * CA with an empty CRL (number 1) that `openssl ca -gencrl` signs, and an ECC CSR.
 */
export async function makeTestMaterial(dir: string, zone: string): Promise<TestMaterial> {
  const serverCa = await createCertificateAuthority({ subject: { commonName: 'Console test server CA' } });
  const issuing = await loadIssuingCa(serverCa.certificatePem, localCaSigner(serverCa.privateKey));
  const server = await issueServerCertificate(issuing, { keyType: 'ec-p256', dnsNames: [zone, `*.${zone}`], commonName: zone });

  const clientCa = await createCertificateAuthority({ subject: { commonName: 'Console partner CA' } });
  const caCert = path.join(dir, 'partner-ca.crt');
  const caKey = path.join(dir, 'partner-ca.key');
  writeFileSync(caCert, clientCa.certificatePem);
  writeFileSync(caKey, clientCa.privateKeyPem, { mode: 0o600 });
  writeFileSync(path.join(dir, 'index.txt'), '');
  writeFileSync(path.join(dir, 'crlnumber'), '01\n');
  const config = path.join(dir, 'ca.cnf');
  writeFileSync(
    config,
    [
      '[ca]',
      'default_ca = partner',
      '[partner]',
      `database = ${path.join(dir, 'index.txt')}`,
      `crlnumber = ${path.join(dir, 'crlnumber')}`,
      'default_md = sha256',
      'default_crl_days = 7',
      '',
    ].join('\n'),
  );
  const crl = path.join(dir, 'partner.crl');
  openssl(['ca', '-config', config, '-gencrl', '-keyfile', caKey, '-cert', caCert, '-out', crl]);

  const csr = path.join(dir, 'user.csr');
  openssl([
    'req',
    '-new',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-nodes',
    '-keyout',
    path.join(dir, 'user.key'),
    '-out',
    csr,
    '-subj',
    '/CN=csr-user',
  ]);
  return {
    serverChainPem: `${server.certificatePem.trim()}\n${serverCa.certificatePem.trim()}\n`,
    serverKeyPem: server.privateKeyPem!,
    clientCaPem: clientCa.certificatePem,
    clientCaCrlPem: readFileSync(crl, 'utf8'),
    csrPem: readFileSync(csr, 'utf8'),
  };
}

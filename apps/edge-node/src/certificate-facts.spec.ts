import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  createCertificateAuthority,
  createTrustStore,
  issueClientCertificate,
  loadIssuingCa,
  localCaSigner,
  type TrustStore,
} from '@portcullis/pki';
import { connectionCertificate, requestCertificateFacts, type ConnectionCertificate } from '@portcullis/facts';

/** Certificate facts from real TLS handshakes: Node and `openssl s_client` as clients. */
describe('certificate facts', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'edge-facts-'));
  let server: tls.Server;
  let port: number;
  let trust: TrustStore;
  const seen: ConnectionCertificate[] = [];
  const files: Record<string, string> = {};

  beforeAll(async () => {
    const ca = await createCertificateAuthority({ subject: { commonName: 'Bound CA' } });
    const stranger = await createCertificateAuthority({ subject: { commonName: 'Bound CA' } });
    const issue = async (authority: typeof ca, commonName: string) => {
      const issuer = await loadIssuingCa(authority.certificatePem, localCaSigner(authority.privateKey));
      return issueClientCertificate(issuer, { keyType: 'ec-p256', commonName });
    };
    const good = await issue(ca, 'alice');
    const forged = await issue(stranger, 'mallory');
    for (const [name, text] of Object.entries({
      'good.pem': good.certificatePem,
      'good.key': good.privateKeyPem!,
      'forged.pem': forged.certificatePem,
      'forged.key': forged.privateKeyPem!,
    })) {
      files[name] = path.join(dir, name);
      writeFileSync(files[name]!, text);
    }
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:P-256',
        '-nodes',
        '-subj',
        '/CN=edge.test',
        '-days',
        '2',
        '-keyout',
        path.join(dir, 'server.key'),
        '-out',
        path.join(dir, 'server.pem'),
      ],
      { stdio: 'ignore' },
    );
    trust = createTrustStore([{ id: 'ca_bound', certificate: ca.certificatePem }]);
    server = tls.createServer(
      {
        key: readFileSync(path.join(dir, 'server.key')),
        cert: readFileSync(path.join(dir, 'server.pem')),
        requestCert: true,
        rejectUnauthorized: false,
      },
      (socket) => {
        seen.push(connectionCertificate(socket.getPeerX509Certificate()?.raw, trust, new Date()));
        socket.end('ok\n');
      },
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as { port: number }).port;
  });
  afterAll(async () => {
    await new Promise((resolve) => server?.close(resolve));
    rmSync(dir, { recursive: true, force: true });
  });

  async function connectNode(cert?: string, key?: string): Promise<ConnectionCertificate> {
    const before = seen.length;
    await new Promise<void>((resolve, reject) => {
      const socket = tls.connect({
        host: '127.0.0.1',
        port,
        rejectUnauthorized: false,
        ...(cert ? { cert: readFileSync(cert), key: readFileSync(key!) } : {}),
      });
      socket.on('data', () => socket.end());
      socket.on('close', () => resolve());
      socket.on('error', reject);
    });
    expect(seen.length).toBe(before + 1);
    return seen.at(-1)!;
  }

  it('verifies a certificate from a bound CA, computed once per connection', async () => {
    const connection = await connectNode(files['good.pem'], files['good.key']);
    expect(connection.caId).toBe('ca_bound');
    expect(connection.facts).toMatchObject({
      presented: true,
      chainVerified: true,
      revoked: false,
      error: '',
      subjectDn: 'CN=alice',
      issuerDn: 'CN=Bound CA',
    });
    const fingerprint = execFileSync('openssl', ['x509', '-in', files['good.pem']!, '-noout', '-fingerprint', '-sha256'], {
      encoding: 'utf8',
    });
    expect(connection.facts.fingerprintSha256).toBe(fingerprint.split('=')[1]!.trim().replaceAll(':', '').toLowerCase());
    const serial = execFileSync('openssl', ['x509', '-in', files['good.pem']!, '-noout', '-serial'], { encoding: 'utf8' });
    expect(connection.facts.serial).toBe(
      serial
        .split('=')[1]!
        .trim()
        .toLowerCase()
        .replace(/^(00)+/, ''),
    );
  });

  it('reports a certificate from a CA with the same name but another key as untrusted', async () => {
    const connection = await connectNode(files['forged.pem'], files['forged.key']);
    expect(connection.facts).toMatchObject({ presented: true, chainVerified: false, error: 'untrusted', subjectDn: 'CN=mallory' });
    expect(connection.caId).toBeUndefined();
  });

  it('reports no certificate, and a hostname without bound CAs, as facts', async () => {
    expect((await connectNode()).facts).toMatchObject({ presented: false, error: 'none' });
    const withoutTrust = await connectNode(files['good.pem'], files['good.key']);
    expect(connectionCertificate(undefined, undefined, new Date()).facts.presented).toBe(false);
    expect(withoutTrust.facts.presented).toBe(true);
  });

  it('takes openssl s_client as a client', async () => {
    const before = seen.length;
    await new Promise<void>((resolve, reject) => {
      const client = spawn(
        'openssl',
        ['s_client', '-connect', `127.0.0.1:${port}`, '-cert', files['good.pem']!, '-key', files['good.key']!, '-quiet'],
        { stdio: ['pipe', 'pipe', 'pipe'] },
      );
      client.stdout.on('data', () => client.stdin.end());
      client.on('exit', () => resolve());
      client.on('error', reject);
    });
    expect(seen.length).toBe(before + 1);
    expect(seen.at(-1)!.facts).toMatchObject({ chainVerified: true, subjectDn: 'CN=alice' });
  });

  it('checks revocation per request, so a certificate revoked after the handshake is caught', async () => {
    const connection = await connectNode(files['good.pem'], files['good.key']);
    const revoked = new Set<string>();
    const lookup = (caId: string, serial: string) => revoked.has(`${caId}:${serial}`);
    expect(requestCertificateFacts(connection, lookup, connection.facts.notBefore)).toBe(connection.facts);
    revoked.add(`ca_bound:${connection.facts.serial}`);
    expect(requestCertificateFacts(connection, lookup, connection.facts.notBefore)).toMatchObject({
      chainVerified: true,
      revoked: true,
      error: 'revoked',
    });
    const untrusted = await connectNode(files['forged.pem'], files['forged.key']);
    expect(requestCertificateFacts(untrusted, () => true, 0).revoked).toBe(false);
  });

  it('checks expiry per request when given the time, so a long kept-alive connection does not outlive its certificate', async () => {
    const connection = await connectNode(files['good.pem'], files['good.key']);
    const never = () => false;
    expect(requestCertificateFacts(connection, never, connection.facts.notAfter)).toBe(connection.facts);
    expect(requestCertificateFacts(connection, never, connection.facts.notAfter + 1)).toMatchObject({
      chainVerified: false,
      revoked: false,
      error: 'expired',
    });
  });
});

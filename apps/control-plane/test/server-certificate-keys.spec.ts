import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TempDir, openssl } from './support/openssl.ts';
import {
  buildTestApp,
  call,
  createAccount,
  createSite,
  expectError,
  snapshot,
  type TestAccount,
  type TestApp,
  type TestSite,
} from './support/test-app.ts';

/**
 * Server certificates meet libs/pki's one key policy, as CSRs and CA uploads do: every key in
 * the chain an edge would present is RSA 2048–8192 or EC P-256/P-384/P-521 (`Key.*`, 422).
 */
describe('server certificate keys and chains', () => {
  let t: TestApp;
  let a: TestAccount;
  let site: TestSite;
  let dir: TempDir;
  const url = () => `/v1/sites/${site.id}/server-certificates`;

  beforeAll(async () => {
    t = await buildTestApp();
    a = await createAccount(t);
    site = await createSite(t, a);
    dir = new TempDir();
  });
  afterAll(async () => {
    await t?.close();
    dir?.remove();
  });

  /** A self-signed CA made by openssl with a key of `keyArgs`; returns its name in `dir`. */
  function opensslCa(name: string, keyArgs: readonly string[]): string {
    openssl([
      'req',
      '-x509',
      '-new',
      ...keyArgs,
      '-nodes',
      '-keyout',
      dir.path(`${name}.key`),
      '-out',
      dir.path(`${name}.pem`),
      '-days',
      '30',
      '-subj',
      `/CN=${name}`,
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
    ]);
    return name;
  }

  /** A leaf for `www.<site>` with a key of `keyArgs`, signed by CA `ca`; returns its PEM and key. */
  function leaf(name: string, keyArgs: readonly string[], ca: string, eku = 'serverAuth'): { certificate: string; privateKey: string } {
    openssl([
      'req',
      '-new',
      ...keyArgs,
      '-nodes',
      '-keyout',
      dir.path(`${name}.key`),
      '-out',
      dir.path(`${name}.csr`),
      '-subj',
      `/CN=${name}`,
    ]);
    dir.write(
      `${name}.ext`,
      [`subjectAltName=DNS:www.${site.name}`, 'basicConstraints=critical,CA:FALSE', `extendedKeyUsage=${eku}`].join('\n'),
    );
    openssl([
      'x509',
      '-req',
      '-in',
      dir.path(`${name}.csr`),
      '-CA',
      dir.path(`${ca}.pem`),
      '-CAkey',
      dir.path(`${ca}.key`),
      '-CAcreateserial',
      '-days',
      '10',
      '-extfile',
      dir.path(`${name}.ext`),
      '-out',
      dir.path(`${name}.pem`),
    ]);
    return { certificate: fs.readFileSync(dir.path(`${name}.pem`), 'utf8'), privateKey: fs.readFileSync(dir.path(`${name}.key`), 'utf8') };
  }

  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256'];
  const rsa1024 = ['-newkey', 'rsa:1024'];
  const rsa2048 = ['-newkey', 'rsa:2048'];

  it('refuses an RSA-1024 leaf (Key.TooWeak), as CSRs and CA uploads do, and stores nothing', async () => {
    const weak = leaf('weak-leaf', rsa1024, opensslCa('ec-ca', ec));
    expect(openssl(['x509', '-in', dir.path('weak-leaf.pem'), '-noout', '-text'])).toContain('Public-Key: (1024 bit)');
    const s = await snapshot(t, a);
    const answer = await call(t.app, a.apiKey, 'POST', url(), weak);
    expectError(answer, 422, 'Key.TooWeak');
    expect(answer.body.message).toContain('the leaf certificate: RSA key of 1024 bits');
    await s.expectUnchanged();
    // The same certificate with an RSA-2048 key is taken: only the key size differed.
    const strong = leaf('strong-leaf', rsa2048, 'ec-ca');
    const taken = await call(t.app, a.apiKey, 'POST', url(), {
      certificate: `${strong.certificate}${dir.text('ec-ca.pem')}`,
      privateKey: strong.privateKey,
    });
    expect(taken.status, JSON.stringify(taken.body)).toBe(201);
    expect(taken.body.hostnames).toEqual([`www.${site.name}`]);
  });

  it('refuses a chain with an RSA-1024 CA certificate in it (Key.TooWeak)', async () => {
    const weakCa = opensslCa('rsa1024-ca', rsa1024);
    const server = leaf('under-weak-ca', ec, weakCa);
    const s = await snapshot(t, a);
    const answer = await call(t.app, a.apiKey, 'POST', url(), {
      certificate: `${server.certificate}${dir.text('rsa1024-ca.pem')}`,
      privateKey: server.privateKey,
    });
    expectError(answer, 422, 'Key.TooWeak');
    expect(answer.body.message).toContain('chain certificate 2');
    await s.expectUnchanged();
  });

  it('refuses a leaf not meant for TLS servers, and a chain with a private key pasted into it', async () => {
    const ca = opensslCa('eku-ca', ec);
    const clientOnly = leaf('client-only', ec, ca, 'clientAuth');
    const server = leaf('proper', ec, ca);
    const s = await snapshot(t, a);
    expectError(await call(t.app, a.apiKey, 'POST', url(), clientOnly), 400, 'InvalidParameter.ServerCertificate');
    // The key block used to be skipped silently; it is refused, so a key never lands in a chain field.
    expectError(
      await call(t.app, a.apiKey, 'POST', url(), {
        certificate: `${server.certificate}${server.privateKey}`,
        privateKey: server.privateKey,
      }),
      400,
      'Certificate.Malformed',
    );
    await s.expectUnchanged();
  });
});

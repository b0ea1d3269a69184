import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileResource } from './resource-compiler.ts';
import { credentialResource, siteResource, trustResource } from '../test/resources.ts';
import { createTestPki, type TestPki } from '../test/test-pki.ts';

function outcome(result: ReturnType<typeof compileResource>): string {
  return result.ok ? 'ok' : `${result.error.code}: ${result.error.message}`;
}

/**
 * The edge applies libs/config's one hostname rule to what the control plane sends, the same
 * rule the control plane refuses input with: a name the control plane could never have
 * accepted (`_`, an A-label that does not decode, upper case) makes the resource invalid.
 */
describe('resource compiler: the shared hostname rule', () => {
  let pki: TestPki;
  let caPem: string;
  let dir: string;
  let underscore: { chainPem: string; keyPem: string };

  beforeAll(async () => {
    pki = await createTestPki();
    caPem = (await pki.clientCa('Hostname rule CA')).certificatePem;
    // libs/pki will not issue a name with "_"; openssl will, as other CAs might.
    dir = mkdtempSync(path.join(os.tmpdir(), 'edge-hostname-rule-'));
    const [certFile, keyFile] = [path.join(dir, 'cert.pem'), path.join(dir, 'key.pem')];
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
        '/CN=_acme.example.com',
        '-addext',
        'subjectAltName=DNS:_acme.example.com,DNS:api.example.com',
        '-days',
        '2',
        '-keyout',
        keyFile,
        '-out',
        certFile,
      ],
      { stdio: 'ignore', timeout: 30_000 },
    );
    underscore = { chainPem: readFileSync(certFile, 'utf8'), keyPem: readFileSync(keyFile, 'utf8') };
  });
  afterAll(() => {
    pki?.remove();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('refuses a trust bundle binding a hostname with "_" or an undecodable A-label', () => {
    for (const hostname of [
      '_acme.example.com',
      '*._acme.example.com',
      'xn--a.example.com',
      'xn--zz-zzzzzzz.example.com',
      'API.example.com',
    ]) {
      expect(outcome(compileResource('trust', trustResource('s1', { ca_a: caPem }, { [hostname]: ['ca_a'] }).resource)), hostname).toMatch(
        /^Resource.Invalid: .*not a hostname/,
      );
    }
    expect(outcome(compileResource('trust', trustResource('s1', { ca_a: caPem }, { 'api.example.com': ['ca_a'] }).resource))).toBe('ok');
  });

  it('refuses a credential naming a hostname with "_", even when its certificate names it', () => {
    expect(outcome(compileResource('credential', credentialResource('c1', 's1', ['_acme.example.com'], underscore).resource))).toMatch(
      /^Resource.Invalid: .*not a hostname/,
    );
    // The same certificate and key serve a name that keeps the rule.
    expect(outcome(compileResource('credential', credentialResource('c1', 's1', ['api.example.com'], underscore).resource))).toBe('ok');
  });

  it('refuses a site whose zone breaks the rule', () => {
    for (const zone of ['_acme.example.com', 'xn--a.example.com', 'localhost', 'example.com.']) {
      expect(outcome(compileResource('site', siteResource('s1', zone, 'http://o').resource)), zone).toMatch(/^Resource.Invalid: .*zone/);
    }
  });
});

import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync, existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '@portcullis/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commandTree, isGroup } from './commands/index.ts';
import { cleanEnv, cliEntry, repoRoot, runCli, startControlPlane, type CliResult, type ControlPlane } from './test/cli-process.ts';

/** A JSON answer read loosely: the assertions check what they use. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- checked by the assertions
type Json = Record<string, any>;

const mode = (file: string) => statSync(file).mode & 0o777;
const openssl = (...args: string[]) => execFileSync('openssl', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
const json = (result: CliResult): Json => {
  expect(result.stderr, 'stderr of a successful call').not.toMatch(/^portcullis: /m);
  expect(result.code).toBe(0);
  return JSON.parse(result.stdout) as Json;
};

/**
 * The CLI as an operator runs it: a child process against the real control plane (embedded
 * store, free ports), with the API checked directly where the CLI's own answer could mislead.
 * The tests run in order on one account and site and build on each other, as an operator's
 * session does (alice's certificate from the first one is presented to the rule tester later).
 */
describe('portcullis against a real control plane', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'portcullis-cli-'));
  let cp: ControlPlane;
  let accountKey: string;
  let siteId: string;
  /** An environment with the account's key and a profile path that does not exist yet. */
  let env: Record<string, string>;
  const cli = (...args: string[]) => runCli(args, env);

  /** Straight to the REST API, to check what the CLI changed. */
  const api = async (route: string): Promise<Json> => {
    const response = await fetch(`${cp.url}/v1/${route}`, { headers: { authorization: `Bearer ${accountKey}` } });
    return (await response.json()) as Json;
  };

  beforeAll(async () => {
    cp = await startControlPlane(path.join(dir, 'control-plane'));
    const admin = cleanEnv({ HOME: dir, PORTCULLIS_URL: cp.url, PORTCULLIS_API_KEY: cp.adminToken });
    const account = json(await runCli(['accounts', 'create', '--name', 'CLI test', '--output', 'json'], admin));
    accountKey = account['apiKey']['secret'];
    expect(accountKey).toMatch(/\S{20,}/);
    env = cleanEnv({
      HOME: dir,
      PORTCULLIS_URL: cp.url,
      PORTCULLIS_API_KEY: accountKey,
      PORTCULLIS_PROFILE: path.join(dir, 'no-profile.json'),
    });
    const site = json(await cli('sites', 'create', '--name', 'example.com', '--origin', 'https://origin.example.com', '-o', 'json'));
    siteId = site['id'];
    expect(siteId).toMatch(/^site_/);
  });
  afterAll(async () => {
    await cp?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('certs create --key-type ecc --out writes a certificate and its key, 0600, that openssl reads and that match', async () => {
    const prefix = path.join(dir, 'out', 'alice');
    const result = await cli('certs', 'create', '--site', siteId, '--key-type', 'ecc', '--common-name', 'alice', '--out', prefix);
    expect(result.code).toBe(0);
    expect(result.stderr).toContain(`wrote ${prefix}.key (mode 0600)`);
    // The key went to the file, not to the terminal.
    expect(result.stdout).not.toContain('PRIVATE KEY');
    expect(mode(`${prefix}.crt`)).toBe(0o600);
    expect(mode(`${prefix}.key`)).toBe(0o600);
    expect(openssl('x509', '-in', `${prefix}.crt`, '-noout', '-subject')).toMatch(/CN\s*=\s*alice/);
    const certificateKey = openssl('x509', '-in', `${prefix}.crt`, '-noout', '-pubkey');
    const privateKeysPublic = openssl('pkey', '-in', `${prefix}.key`, '-pubout');
    expect(certificateKey).toContain('BEGIN PUBLIC KEY');
    expect(privateKeysPublic).toBe(certificateKey);
    expect(openssl('pkey', '-in', `${prefix}.key`, '-noout', '-text')).toContain('prime256v1');

    const listed = json(await cli('certs', 'list', '--site', siteId, '--output', 'json'));
    const alice = listed['items'].find((c: Json) => c['commonName'] === 'alice');
    expect(alice).toMatchObject({ status: 'active', siteId, keySource: 'system' });
    const hex = (serial: string) => serial.toLowerCase().replace(/^0+/, '');
    expect(hex(alice['serialNumber'])).toBe(
      hex(
        openssl('x509', '-in', `${prefix}.crt`, '-noout', '-serial')
          .trim()
          .replace(/^serial=/, ''),
      ),
    );
  });

  it('certs create --csr signs your CSR: only the certificate is written, for your key', async () => {
    const key = path.join(dir, 'dave-own.key');
    const csr = path.join(dir, 'dave.csr');
    openssl(
      'req',
      '-new',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-keyout',
      key,
      '-out',
      csr,
      '-subj',
      '/CN=dave',
    );
    const prefix = path.join(dir, 'dave');
    const result = await cli('certs', 'create', '--site', siteId, '--csr', csr, '--validity-days', '30', '--out', prefix);
    expect(result.code).toBe(0);
    expect(existsSync(`${prefix}.key`)).toBe(false);
    expect(openssl('x509', '-in', `${prefix}.crt`, '-noout', '-pubkey')).toBe(openssl('pkey', '-in', key, '-pubout'));
    expect(openssl('x509', '-in', `${prefix}.crt`, '-noout', '-subject')).toMatch(/CN\s*=\s*dave/);
    const listed = json(await cli('certs', 'list', '--site', siteId, '-o', 'json'));
    expect(listed['items'].find((c: Json) => c['commonName'] === 'dave')).toMatchObject({ keySource: 'csr', validityDays: 30 });
  });

  it('refuses an --out whose files exist before anything is issued', async () => {
    const prefix = path.join(dir, 'taken');
    writeFileSync(`${prefix}.key`, 'mine\n');
    const before = (await api(`sites/${siteId}/client-certificates`))['totalCount'] as number;
    const result = await cli('certs', 'create', '--site', siteId, '--out', prefix);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(`${prefix}.key already exists`);
    expect(readFileSync(`${prefix}.key`, 'utf8')).toBe('mine\n');
    expect(existsSync(`${prefix}.crt`)).toBe(false);
    expect((await api(`sites/${siteId}/client-certificates`))['totalCount']).toBe(before);
  });

  it('--p12 with a password writes a PKCS#12 that openssl opens with that password only', async () => {
    const prefix = path.join(dir, 'bob');
    const password = 'correct horse battery';
    const passwordFile = path.join(dir, 'p12-password');
    writeFileSync(passwordFile, `${password}\n`, { mode: 0o600 });
    const result = await cli(
      'certs',
      'create',
      '--site',
      siteId,
      '--common-name',
      'bob',
      '--out',
      prefix,
      '--p12',
      '--p12-password-file',
      passwordFile,
    );
    expect(result.code).toBe(0);
    expect(mode(`${prefix}.p12`)).toBe(0o600);
    const opened = openssl('pkcs12', '-in', `${prefix}.p12`, '-passin', `pass:${password}`, '-nokeys');
    expect(opened).toContain('BEGIN CERTIFICATE');
    expect(opened).toMatch(/subject=.*CN\s*=\s*bob/);
    const wrong = spawnSync('openssl', ['pkcs12', '-in', `${prefix}.p12`, '-passin', 'pass:not the password', '-nokeys'], {
      encoding: 'utf8',
    });
    expect(wrong.status).not.toBe(0);

    // The password from the environment works too; a short one is the API's error, exit 1.
    const short = await runCli(['certs', 'create', '--site', siteId, '--out', path.join(dir, 'short'), '--p12'], {
      ...env,
      PORTCULLIS_P12_PASSWORD: 'short',
    });
    expect(short.code).toBe(1);
    expect(short.stderr).toContain('InvalidParameter');
  });

  it('bindings set, then bindings get shows (and the API holds) the hostnames', async () => {
    const set = await cli('bindings', 'set', '--site', siteId, 'api.example.com', 'www.example.com');
    expect(set.code).toBe(0);
    expect(set.stdout).toMatch(/hostnames:\s+api\.example\.com, www\.example\.com/);
    const got = json(await cli('bindings', 'get', '--site', siteId, '-o', 'json'));
    expect(got).toEqual({ siteId, caId: 'account', hostnames: ['api.example.com', 'www.example.com'] });
    expect((await api(`sites/${siteId}/ca-bindings/account`))['hostnames']).toEqual(['api.example.com', 'www.example.com']);

    const outside = await cli('bindings', 'set', '--site', siteId, 'api.other.test');
    expect(outside.code).toBe(1);
    expect(outside.stderr).toContain('InvalidParameter.HostnameNotInSite');
    expect((await cli('bindings', 'set', '--site', siteId)).code).toBe(2);
  });

  it("rules create (the guide's rule: not verified, on the bound hostnames, block) and rules test decide as the edge would", async () => {
    const created = json(
      await cli(
        'rules',
        'create',
        '--site',
        siteId,
        '--name',
        'block failed authentication',
        '--block-unverified-on',
        'api.example.com',
        '--block-unverified-on',
        'www.example.com',
        '--action',
        'block',
        '-o',
        'json',
      ),
    );
    expect(created['warnings']).toEqual([]);
    expect(created['rule']).toMatchObject({ enabled: true, action: { type: 'block', status: 403 } });
    expect(created['rule']['expression']).toBe('(http.host in {"api.example.com" "www.example.com"} and not ssl.client_cert.verified)');
    expect((await api(`sites/${siteId}/waf-rules`))['rules'].map((r: Json) => r['id'])).toEqual([created['rule']['id']]);

    const withoutCertificate = json(await cli('rules', 'test', '--site', siteId, '--host', 'api.example.com', '-o', 'json'));
    expect(withoutCertificate['decision']).toMatchObject({ action: 'block', status: 403, ruleId: created['rule']['id'] });
    const withCertificate = json(
      await cli('rules', 'test', '--site', siteId, '--host', 'api.example.com', '--cert', path.join(dir, 'out', 'alice.crt'), '-o', 'json'),
    );
    expect(withCertificate['decision']).toMatchObject({ action: 'pass', ruleId: null });
    expect(withCertificate['clientCert']).toMatchObject({ presented: true, chainVerified: true, revoked: false });
    const otherHost = json(await cli('rules', 'test', '--site', siteId, '--host', 'example.com', '-o', 'json'));
    expect(otherHost['decision']['action']).toBe('pass');

    // Without a hostname condition the API saves the rule with a warning, which the CLI shows.
    const everywhere = await cli('rules', 'create', '--site', siteId, '--expression', 'not ssl.client_cert.verified', '--disabled');
    expect(everywhere.code).toBe(0);
    expect(everywhere.stderr).toContain('warning Waf.CertWithoutHost');
    const ids = (await api(`sites/${siteId}/waf-rules`))['rules'].map((r: Json) => r['id']) as string[];
    const reordered = json(await cli('rules', 'order', '--site', siteId, ...[...ids].reverse(), '-o', 'json'));
    expect(reordered['rules'].map((r: Json) => r['id'])).toEqual([...ids].reverse());
  });

  it('cas: upload your own CA, bind it, upload its CRL (DER), revoke a serial by hand, delete; the account CA verifies issued certificates', async () => {
    const pki = path.join(dir, 'own-ca');
    mkdirSync(pki);
    const at = (name: string) => path.join(pki, name);
    openssl(
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-keyout',
      at('ca.key'),
      '-out',
      at('ca.crt'),
      '-days',
      '30',
      '-subj',
      '/CN=Partner CA',
      '-addext',
      'basicConstraints=critical,CA:TRUE',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
    );
    writeFileSync(at('index.txt'), '');
    writeFileSync(at('crlnumber'), '07\n');
    writeFileSync(
      at('ca.cnf'),
      `[ca]\ndefault_ca = own\n[own]\ndatabase = ${at('index.txt')}\ncrlnumber = ${at('crlnumber')}\ndefault_md = sha256\ndefault_crl_days = 7\n`,
    );
    openssl('ca', '-config', at('ca.cnf'), '-gencrl', '-keyfile', at('ca.key'), '-cert', at('ca.crt'), '-out', at('crl.pem'));
    openssl('crl', '-in', at('crl.pem'), '-outform', 'DER', '-out', at('crl.der'));

    const uploaded = json(await cli('cas', 'upload', '--site', siteId, '--cert', at('ca.crt'), '--name', 'Partner CA', '-o', 'json'));
    const caId = uploaded['id'] as string;
    expect(uploaded).toMatchObject({ name: 'Partner CA', type: 'upload', commonName: 'Partner CA' });
    expect(json(await cli('cas', 'list', '--site', siteId, '-o', 'json'))['items'].map((c: Json) => c['id'])).toEqual([caId]);
    const pem = await cli('cas', 'get', '--site', siteId, caId, '--pem');
    expect(openssl('x509', '-in', at('ca.crt'), '-noout', '-fingerprint', '-sha256')).toBe(
      execFileSync('openssl', ['x509', '-noout', '-fingerprint', '-sha256'], { input: pem.stdout, encoding: 'utf8' }),
    );

    expect((await cli('bindings', 'set', '--site', siteId, '--ca', caId, 'partner.example.com')).code).toBe(0);
    expect((await api(`sites/${siteId}/ca-bindings/${caId}`))['hostnames']).toEqual(['partner.example.com']);

    const crl = json(await cli('cas', 'crl', '--site', siteId, caId, '--upload', at('crl.der'), '-o', 'json'));
    expect(crl).toMatchObject({ caId, revokedCount: 0 });
    expect(BigInt(`0x${crl['crlNumber']}`)).toBe(7n);
    expect((await cli('cas', 'crl', '--site', siteId, caId)).stdout).toMatch(/revoked:\s+0/);

    expect((await cli('cas', 'revoke-serial', '--site', siteId, caId, '7A1B', '--reason', 'lost laptop')).code).toBe(0);
    const revocations = json(await cli('cas', 'revocations', '--site', siteId, caId, '-o', 'json'));
    expect(revocations['items']).toEqual([expect.objectContaining({ serialNumber: '7a1b', source: 'manual', reason: 'lost laptop' })]);
    expect((await cli('cas', 'unrevoke-serial', '--site', siteId, caId, '7a1b')).code).toBe(0);
    expect((await api(`sites/${siteId}/client-ca-certificates/${caId}/revocations`))['totalCount']).toBe(0);

    expect((await cli('cas', 'delete', '--site', siteId, caId)).code).toBe(0);
    expect((await api(`sites/${siteId}/client-ca-certificates`))['totalCount']).toBe(0);

    const accountCa = await cli('cas', 'account', '--pem');
    expect(accountCa.code).toBe(0);
    writeFileSync(at('account-ca.pem'), accountCa.stdout);
    expect(openssl('verify', '-CAfile', at('account-ca.pem'), path.join(dir, 'out', 'alice.crt'))).toContain(': OK');
  });

  it('server-certs: upload a leaf for the site, list it, delete it', async () => {
    const at = (name: string) => path.join(dir, name);
    openssl(
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-keyout',
      at('server.key'),
      '-out',
      at('server.crt'),
      '-days',
      '30',
      '-subj',
      '/CN=example.com',
      '-addext',
      'subjectAltName=DNS:example.com,DNS:*.example.com',
      '-addext',
      'basicConstraints=critical,CA:FALSE',
    );
    const uploaded = json(
      await cli('server-certs', 'upload', '--site', siteId, '--cert', at('server.crt'), '--key', at('server.key'), '-o', 'json'),
    );
    expect(uploaded['hostnames']).toEqual(['example.com', '*.example.com']);
    expect(uploaded['privateKey']).toBeUndefined();
    const listed = await cli('server-certs', 'list', '--site', siteId);
    expect(listed.stdout).toContain(uploaded['id']);
    expect((await cli('server-certs', 'delete', '--site', siteId, uploaded['id'])).code).toBe(0);
    expect((await api(`sites/${siteId}/server-certificates`))['totalCount']).toBe(0);
  });

  it('certs revoke needs --confirm (exit 2, nothing changed); with it the certificate is revoked; activate brings it back', async () => {
    const created = json(await cli('certs', 'create', '--site', siteId, '--common-name', 'carol', '-o', 'json'));
    const id = created['certificate']['id'] as string;
    expect(created['privateKey']).toContain('BEGIN PRIVATE KEY');
    const status = async () => (await api(`sites/${siteId}/client-certificates/${id}`))['status'];

    const unconfirmed = await cli('certs', 'revoke', '--site', siteId, id);
    expect(unconfirmed.code).toBe(2);
    expect(unconfirmed.stderr).toContain('I confirm that the certificate is no longer required');
    expect(await status()).toBe('active');

    const revoked = await cli('certs', 'revoke', '--site', siteId, id, '--confirm');
    expect(revoked.code).toBe(0);
    expect(revoked.stdout).toMatch(/status:\s+revoked/);
    expect(await status()).toBe('revoked');

    const again = await cli('certs', 'revoke', '--site', siteId, id, '--confirm');
    expect(again.code).toBe(1);
    expect(again.stderr).toContain('Conflict.Status');

    expect((await cli('certs', 'activate', '--site', siteId, id)).code).toBe(0);
    expect(await status()).toBe('active');

    expect((await cli('certs', 'delete', '--site', siteId, id)).code).toBe(0);
    expect((await api(`sites/${siteId}/client-certificates/${id}`))['code']).toBe('NotFound.ClientCertificate');
  });

  it("an API error exits 1 with the API's code and message on stderr (as JSON with --output json)", async () => {
    const result = await cli('certs', 'list', '--site', 'site_doesnotexist');
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/^portcullis: NotFound\.Site: The site does not exist\. \(request req_[0-9a-f]+\)\n$/);

    const asJson = await cli('certs', 'get', '--site', 'site_doesnotexist', 'cc_x', '--output', 'json');
    expect(asJson.code).toBe(1);
    expect(JSON.parse(asJson.stderr)).toMatchObject({ error: { code: 'NotFound.Site', status: 404 } });

    const admin = await runCli(['edges', 'list'], env);
    expect(admin.code).toBe(1);
    expect(admin.stderr).toContain('Auth.AdminOnly');
  });

  it('usage errors exit 2 and name the problem', async () => {
    const unknownOption = await cli('certs', 'list', '--site', siteId, '--colour');
    expect(unknownOption.code).toBe(2);
    expect(unknownOption.stderr).toContain("'--colour'");
    expect(unknownOption.stderr).toContain("See 'portcullis certs list --help'.");
    const missing = await cli('certs', 'list');
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('--site is required');
    expect((await cli('certs', 'create', '--site', siteId, '--key-type', 'dsa')).code).toBe(2);
    expect((await cli('frobnicate')).code).toBe(2);
    expect((await cli('certs', 'list', '--site', siteId, '--output', 'yaml')).code).toBe(2);
    const none = await cli();
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('Usage: portcullis');
  });

  it('--help prints usage and exits 0, through the real process', async () => {
    const top = await cli('--help');
    expect(top.code).toBe(0);
    expect(top.stdout).toContain('Usage: portcullis <command>');
    const create = await cli('certs', 'create', '--help');
    expect(create.code).toBe(0);
    expect(create.stdout).toContain('Usage: portcullis certs create [options]');
    expect(create.stdout).toContain('--key-type ecc|rsa');
    const group = await cli('help', 'rules');
    expect(group.code).toBe(0);
    expect(group.stdout).toContain('Usage: portcullis rules <verb>');
  });

  it('login writes the profile (0600) without printing the key; flags beat the environment, which beats the profile', async () => {
    const profile = path.join(dir, 'profiles', 'ops.json');
    const home = cleanEnv({ HOME: dir, PORTCULLIS_PROFILE: profile });
    const login = await runCli(['login', '--url', cp.url, '--api-key', accountKey], home);
    expect(login.code).toBe(0);
    expect(login.stdout + login.stderr).not.toContain(accountKey);
    expect(mode(profile)).toBe(0o600);
    expect(JSON.parse(readFileSync(profile, 'utf8'))).toEqual({ url: cp.url, apiKey: accountKey });

    // The profile alone is enough.
    const fromProfile = json(await runCli(['sites', 'list', '-o', 'json'], home));
    expect(fromProfile['items'].map((s: Json) => s['id'])).toEqual([siteId]);

    // The environment beats the profile: a bad key in PORTCULLIS_API_KEY is used, and refused.
    const badEnvKey = await runCli(['sites', 'list'], { ...home, PORTCULLIS_API_KEY: 'pk_not_a_key' });
    expect(badEnvKey.code).toBe(1);
    expect(badEnvKey.stderr).toContain('Auth.InvalidKey');
    expect(badEnvKey.stderr).not.toContain('pk_not_a_key');
    // ... and a flag beats the environment.
    expect((await runCli(['sites', 'list', '--api-key', accountKey], { ...home, PORTCULLIS_API_KEY: 'pk_not_a_key' })).code).toBe(0);

    // The same for the URL: PORTCULLIS_URL (a closed port) over the profile's, --url over both.
    const closed = `http://127.0.0.1:${await freePort()}`;
    const badEnvUrl = await runCli(['sites', 'list'], { ...home, PORTCULLIS_URL: closed });
    expect(badEnvUrl.code).toBe(1);
    expect(badEnvUrl.stderr).toContain('Connection.Failed');
    expect((await runCli(['sites', 'list', '--url', cp.url], { ...home, PORTCULLIS_URL: closed })).code).toBe(0);

    // A key that does not authenticate is not saved.
    const refused = await runCli(['login', '--url', cp.url, '--api-key', 'pk_wrong'], home);
    expect(refused.code).toBe(1);
    expect(JSON.parse(readFileSync(profile, 'utf8'))['apiKey']).toBe(accountKey);

    // The default profile lives under $HOME/.config (or XDG_CONFIG_HOME); the administrator token logs in too.
    const defaultHome = cleanEnv({ HOME: path.join(dir, 'home') });
    expect((await runCli(['login', '--url', cp.url, '--api-key', cp.adminToken], defaultHome)).code).toBe(0);
    expect(mode(path.join(dir, 'home', '.config', 'portcullis', 'profile.json'))).toBe(0o600);
    expect(json(await runCli(['config', '-o', 'json'], defaultHome))).toMatchObject({
      url: cp.url,
      urlSource: 'profile',
      apiKeySource: 'profile',
    });
  });

  it('admin commands: join tokens (secret to a 0600 file), edges, accounts, API keys', async () => {
    const admin = cleanEnv({ HOME: dir, PORTCULLIS_URL: cp.url, PORTCULLIS_API_KEY: cp.adminToken });
    const tokenFile = path.join(dir, 'join-token');
    const created = json(
      await runCli(['join-tokens', 'create', '--name', 'edge-a', '--max-uses', '2', '--secret-out', tokenFile, '-o', 'json'], admin),
    );
    expect(created['token']).toBeUndefined();
    expect(readFileSync(tokenFile, 'utf8')).toMatch(/^pjt_\S+\n$/);
    expect(mode(tokenFile)).toBe(0o600);
    const listed = json(await runCli(['join-tokens', 'list', '-o', 'json'], admin));
    expect(listed['items']).toEqual([expect.objectContaining({ id: created['id'], name: 'edge-a', maxUses: 2, uses: 0 })]);
    expect((await runCli(['join-tokens', 'delete', created['id']], admin)).code).toBe(0);
    expect(json(await runCli(['join-tokens', 'list', '-o', 'json'], admin))['items']).toEqual([]);

    expect(json(await runCli(['edges', 'list', '-o', 'json'], admin))['items']).toEqual([]);
    const accounts = json(await runCli(['accounts', 'list', '-o', 'json'], admin));
    const accountId = accounts['items'][0]['id'] as string;
    const key = await runCli(['accounts', 'create-key', accountId, '--name', 'ci'], admin);
    expect(key.code).toBe(0);
    expect(key.stdout).toMatch(/api key:\s+\S{20,}/);
    const keys = json(await runCli(['accounts', 'list-keys', accountId, '-o', 'json'], admin));
    expect(keys['items'].map((k: Json) => k['name']).sort()).toEqual(['ci', 'initial']);
  });

  it('the other verbs reach their routes: sites update/get, rules get/update/delete, certs get --pem, audit, accounts get, revoke-key, edges get', async () => {
    const updated = json(await cli('sites', 'update', siteId, '--forward-client-cert', 'true', '-o', 'json'));
    expect(updated['forwardClientCert']).toBe(true);
    expect((await api(`sites/${siteId}`))['forwardClientCert']).toBe(true);
    expect((await cli('sites', 'get', siteId)).stdout).toMatch(/client-cert header:\s+true/);

    const rule = json(
      await cli('rules', 'create', '--site', siteId, '--expression', 'http.host eq "x.example.com"', '--action', 'log', '-o', 'json'),
    )['rule'];
    expect(json(await cli('rules', 'get', '--site', siteId, rule['id'], '-o', 'json'))).toMatchObject({
      id: rule['id'],
      action: { type: 'log' },
    });
    const disabled = json(await cli('rules', 'update', '--site', siteId, rule['id'], '--disable', '--status', '451', '-o', 'json'));
    expect(disabled['rule']).toMatchObject({ enabled: false, action: { type: 'block', status: 451 } });
    expect((await cli('rules', 'delete', '--site', siteId, rule['id'])).code).toBe(0);
    expect((await api(`sites/${siteId}/waf-rules/${rule['id']}`))['code']).toBe('NotFound.WafRule');

    const alice = (await api(`sites/${siteId}/client-certificates`))['items'].find((c: Json) => c['commonName'] === 'alice');
    const pem = await cli('certs', 'get', '--site', siteId, alice['id'], '--pem');
    expect(pem.stdout).toBe(readFileSync(path.join(dir, 'out', 'alice.crt'), 'utf8'));

    const audit = json(await cli('audit', '-o', 'json'));
    expect(audit['items'].map((e: Json) => e['action'])).toEqual(
      expect.arrayContaining(['ClientCertificate.Revoke', 'ClientCertificate.Activate', 'Binding.Set']),
    );

    const admin = cleanEnv({ HOME: dir, PORTCULLIS_URL: cp.url, PORTCULLIS_API_KEY: cp.adminToken });
    const accountId = json(await runCli(['accounts', 'list', '-o', 'json'], admin))['items'][0]['id'] as string;
    expect(json(await runCli(['accounts', 'get', accountId, '-o', 'json'], admin))['name']).toBe('CLI test');
    const extra = json(await runCli(['accounts', 'create-key', accountId, '--name', 'short-lived', '-o', 'json'], admin));
    const revokedKey = await runCli(['accounts', 'revoke-key', accountId, extra['key']['id']], admin);
    expect(revokedKey.code).toBe(0);
    expect(revokedKey.stdout).toMatch(/revoked:\s+\d{4}-/);
    const withRevokedKey = await runCli(['sites', 'list'], { ...env, PORTCULLIS_API_KEY: extra['secret'] });
    expect(withRevokedKey.code).toBe(1);
    expect(withRevokedKey.stderr).toContain('Auth.InvalidKey');

    const edge = await runCli(['edges', 'get', 'edge-nowhere'], admin);
    expect(edge.code).toBe(1);
    expect(edge.stderr).toContain('NotFound.Edge');
  });

  it('shows progress while fetching many pages on a terminal only', async () => {
    expect((await api(`sites/${siteId}/client-certificates`))['totalCount']).toBeGreaterThanOrEqual(2);
    const piped = await cli('certs', 'list', '--site', siteId, '--page-size', '1');
    expect(piped.code).toBe(0);
    expect(piped.stderr).toBe('');
    expect(piped.stdout.split('\n').filter((line) => line.startsWith('cc_')).length).toBeGreaterThanOrEqual(2);
    // script(1) gives the CLI a terminal; its output is the terminal's (stdout and stderr).
    const command = [process.execPath, cliEntry, 'certs', 'list', '--site', siteId, '--page-size', '1'].map((a) => `'${a}'`).join(' ');
    const onTerminal = spawnSync('script', ['-qec', command, '/dev/null'], { env, cwd: repoRoot, encoding: 'utf8', timeout: 30_000 });
    expect(onTerminal.status).toBe(0);
    expect(onTerminal.stdout).toMatch(/fetching client certificates: 1 of \d+/);
    expect(onTerminal.stdout).toMatch(/fetching client certificates: (\d+) of \1/);
  });

  it("covers every operation of the control plane's OpenAPI document, and names only operations it has", async () => {
    const document = (await (await fetch(`${cp.url}/openapi.json`)).json()) as Json;
    // The API is what lives under /v1 (health probes and the RPC endpoint are not operations of it).
    const served = Object.entries(document['paths'] as Json)
      .filter(([route]) => route.startsWith('/v1/'))
      .flatMap(([route, operations]) => Object.keys(operations as Json).map((method) => `${method.toUpperCase()} ${route}`));
    // Edges enroll themselves with a join token; operators never call it.
    const forEdges = ['POST /v1/edge/enroll'];
    expect(served).toEqual(expect.arrayContaining(forEdges));
    const called = new Set(commandTree.flatMap((entry) => (isGroup(entry) ? entry.commands : [entry])).flatMap((c) => c.operations));
    expect(served.filter((operation) => !called.has(operation) && !forEdges.includes(operation))).toEqual([]);
    expect([...called].filter((operation) => !served.includes(operation))).toEqual([]);
  });

  it('ends quietly when its reader goes away (portcullis … | head)', async () => {
    const child = spawn(process.execPath, [cliEntry, '--help'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.destroy();
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(stderr).toBe('');
    expect(code).toBe(0);
  });

  it('runs as the bin npm links into node_modules/.bin (type stripping of the real path)', () => {
    const fakeRoot = path.join(dir, 'linked');
    mkdirSync(path.join(fakeRoot, 'node_modules', '@portcullis'), { recursive: true });
    mkdirSync(path.join(fakeRoot, 'node_modules', '.bin'));
    symlinkSync(path.join(repoRoot, 'apps/cli'), path.join(fakeRoot, 'node_modules', '@portcullis', 'cli'));
    const bin = path.join(fakeRoot, 'node_modules', '.bin', 'portcullis');
    const target = JSON.parse(readFileSync(path.join(repoRoot, 'apps/cli/package.json'), 'utf8'))['bin']['portcullis'] as string;
    symlinkSync(path.join('..', '@portcullis', 'cli', target), bin);
    const result = spawnSync(bin, ['--help'], {
      encoding: 'utf8',
      env: { ...env, PATH: `${path.dirname(process.execPath)}:${process.env['PATH']}` },
    });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('Usage: portcullis <command>');
  });
});

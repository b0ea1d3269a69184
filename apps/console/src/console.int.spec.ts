import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchBrowser, screenshot, type TestBrowser } from './test/browser.ts';
import { startControlPlane, type Json, type RunningControlPlane } from './test/control-plane-process.ts';
import { openssl } from './test/openssl.ts';
import { startEdge } from './test/edge-process.ts';
import { makeTestMaterial } from './test/test-material.ts';

/**
 * The console in Debian's Chromium against a real control plane process: the operator's
 * journey step by step, each step checked through the API as well, plus keyboard, labels,
 * security headers and the promise that the console talks to its own origin only.
 */
describe('web console', () => {
  let cp: RunningControlPlane;
  let browser: TestBrowser;
  let apiKey: string;
  const work = mkdtempSync(path.join(os.tmpdir(), 'portcullis-console-test-'));

  beforeAll(async () => {
    cp = await startControlPlane();
    const created = await cp.call('POST', '/v1/accounts', cp.adminToken, { name: 'console journey' });
    apiKey = created['apiKey']['secret'];
    browser = await launchBrowser(cp.origin);
  });
  afterAll(async () => {
    await browser?.close();
    await cp?.stop();
    rmSync(work, { recursive: true, force: true });
  });

  async function signIn(page: Page, key: string): Promise<void> {
    await page.goto(`${cp.origin}/console/`);
    await page.getByLabel('API key or administrator token').fill(key);
    await page.getByRole('button', { name: 'Sign in' }).click();
  }

  it('serves the page with a strict policy, redirects /console, and never caches API answers in the browser', async () => {
    const redirect = await fetch(`${cp.origin}/console`, { redirect: 'manual' });
    expect(redirect.status).toBe(301);
    expect(redirect.headers.get('location')).toBe('/console/');
    const page = await fetch(`${cp.origin}/console/`);
    expect(page.status).toBe(200);
    const csp = page.headers.get('content-security-policy')!;
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).not.toContain('unsafe-inline');
    expect(page.headers.get('x-frame-options')).toBe('DENY');
    const html = await page.text();
    expect(html).not.toMatch(/<script(?![^>]*\ssrc=)[^>]*>/);
    expect(html).not.toMatch(/\sstyle=|\son[a-z]+=/i);
    const script = await fetch(`${cp.origin}/console/console.js`);
    expect(script.headers.get('content-type')).toContain('text/javascript');
    expect(await script.text()).toContain('sessionStorage');
    const unknown = await fetch(`${cp.origin}/console/secret.txt`);
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as Json)['code']).toBe('NotFound.Route');
  });

  it('signs in, creates a site and a certificate, copies both, downloads the .p12, binds a hostname, adds the guide’s rule, revokes and activates', async () => {
    const page = await browser.newPage();
    // Script errors fail the test; the browser's own lines about expected 4xx answers do not.
    const consoleErrors: string[] = [];
    page.on('pageerror', (error) => consoleErrors.push(error.message));
    page.on('console', (message) => {
      if (message.type() === 'error' && !message.text().startsWith('Failed to load resource')) consoleErrors.push(message.text());
    });
    await signIn(page, apiKey);
    await expect.poll(() => page.getByRole('heading', { name: 'Sites' }).count()).toBe(1);
    expect(await page.evaluate(() => JSON.stringify(localStorage))).toBe('{}');
    expect(await page.evaluate(() => sessionStorage.getItem('portcullis.apiKey'))).toBe(apiKey);
    expect(page.url()).not.toContain(apiKey);
    await screenshot(page, '01-sites');

    // A site, and the warning that it has no server certificate yet.
    await page.getByLabel('Zone').fill('example.com');
    await page.getByLabel('Origin URL').fill('http://127.0.0.1:8000');
    await page.getByRole('button', { name: 'Create site' }).click();
    await page.getByText('tlsv1 unrecognized name').waitFor();
    const sites = await cp.call('GET', '/v1/sites', apiKey);
    expect(sites['items']).toHaveLength(1);
    const site = sites['items'][0] as Json;
    expect(site).toMatchObject({ name: 'example.com', originUrl: 'http://127.0.0.1:8000', forwardClientCert: false });
    await screenshot(page, '02-site-overview');

    // Create certificate: system-generated ECC key, one year, a .p12 password.
    await page.getByRole('link', { name: 'Client certificates' }).click();
    await page.getByRole('button', { name: 'Create certificate' }).click();
    const create = page.getByRole('dialog', { name: 'Create certificate' });
    expect(await create.getByLabel('Validity (days)').inputValue()).toBe('365');
    await create.getByLabel('Private key type').selectOption('ECC');
    await create.getByLabel('Common name (optional)').fill('console-user');
    const p12Password = 'console p12 password';
    await create.getByLabel('Password for the .p12 download').fill(p12Password);
    await create.getByRole('button', { name: 'Create' }).click();
    const shown = page.getByRole('dialog', { name: 'Certificate created' });
    await shown.getByText('cannot be shown again').waitFor();
    await screenshot(page, '03-certificate-created');

    const listed = await cp.call('GET', `/v1/sites/${site['id']}/client-certificates`, apiKey);
    expect(listed['totalCount']).toBe(1);
    const certificate = listed['items'][0] as Json;
    expect(certificate).toMatchObject({ status: 'active', commonName: 'console-user', validityDays: 365, keySource: 'system' });
    expect(certificate['pubkeyAlgorithm']).toMatch(/EC|ECDSA/i);

    await shown.getByRole('button', { name: 'Copy certificate' }).click();
    await shown.getByText('certificate copied.').waitFor();
    const copiedCertificate = await page.evaluate(() => navigator.clipboard.readText());
    expect(copiedCertificate.trim()).toBe(String(certificate['certificate']).trim());
    await shown.getByRole('button', { name: 'Copy private key' }).click();
    await shown.getByText('private key copied.').waitFor();
    const copiedKey = await page.evaluate(() => navigator.clipboard.readText());
    expect(copiedKey).toContain('-----BEGIN PRIVATE KEY-----');
    const certFile = path.join(work, 'client.crt');
    const keyFile = path.join(work, 'client.key');
    writeFileSync(certFile, copiedCertificate);
    writeFileSync(keyFile, copiedKey, { mode: 0o600 });
    expect(openssl(['pkey', '-in', keyFile, '-pubout'])).toBe(openssl(['x509', '-in', certFile, '-noout', '-pubkey']));

    const [download] = await Promise.all([page.waitForEvent('download'), shown.getByRole('button', { name: 'Download .p12' }).click()]);
    expect(download.suggestedFilename()).toBe('console-user.p12');
    const p12File = path.join(work, 'client.p12');
    await download.saveAs(p12File);
    const fromP12 = openssl(['pkcs12', '-in', p12File, '-passin', `pass:${p12Password}`, '-nokeys', '-clcerts']);
    expect(fromP12).toContain(String(certificate['certificate']).trim());

    await shown.getByRole('button', { name: 'Done' }).click();
    // The key was shown once: nothing of it stays in the page or its storage.
    const row = page.locator(`tr[data-certificate-id="${certificate['id']}"]`);
    await row.getByText('active').waitFor();
    expect(await page.content()).not.toContain('PRIVATE KEY');
    const stored = await page.evaluate(() => JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }));
    expect(stored).not.toContain('PRIVATE KEY');
    expect(await row.textContent()).toContain(certificate['serialNumber']);

    // Bind hostnames: syntax and site checked as typed, the server's refusal beside its field.
    await page.getByRole('link', { name: 'Hostname bindings' }).click();
    const first = page.getByLabel('Hostname', { exact: true }).first();
    await first.fill('bad..name.example.com');
    await page.getByText('Not a valid hostname.').waitFor();
    await first.fill('api.example.org');
    await page.getByText('Not in this site').waitFor();
    expect(await first.getAttribute('aria-invalid')).toBe('true');
    await first.fill('api.example.com');
    expect(await first.getAttribute('aria-invalid')).toBeNull();
    await page.getByRole('button', { name: 'Add hostname' }).click();
    const second = page.getByLabel('Hostname', { exact: true }).nth(1);
    await expect
      .poll(() => page.evaluate(() => document.activeElement === document.querySelectorAll('#hostname-rows input')[1]))
      .toBe(true);
    await second.fill('API.example.com');
    await page.getByRole('button', { name: 'Save hostnames' }).click();
    const duplicateError = page.locator(`#${await second.getAttribute('id')}-error`);
    await expect.poll(() => duplicateError.textContent()).toContain('InvalidParameter.DuplicateHostname');
    expect((await cp.call('GET', `/v1/sites/${site['id']}/ca-bindings/account`, apiKey))['hostnames']).toEqual([]);
    await page.getByRole('button', { name: 'Remove hostname' }).nth(1).click();
    await page.getByRole('button', { name: 'Save hostnames' }).click();
    await page.getByText('Bound 1 hostnames').waitFor();
    expect((await cp.call('GET', `/v1/sites/${site['id']}/ca-bindings/account`, apiKey))['hostnames']).toEqual(['api.example.com']);
    await screenshot(page, '04-bindings');

    // The guide's WAF rule from the form; the editor shows the parser's line and column.
    await page.getByRole('link', { name: 'WAF rules' }).click();
    await page.getByLabel('Expression', { exact: true }).fill('http.host eq');
    await page.getByText(/Line 1, column \d+/).waitFor();
    await page.getByLabel('Hostname in').fill('api.example.com');
    await page.getByRole('button', { name: 'Add rule' }).first().click();
    await page.locator('tr[data-rule-id]').first().waitFor();
    const rules = await cp.call('GET', `/v1/sites/${site['id']}/waf-rules`, apiKey);
    expect(rules['rules']).toHaveLength(1);
    const rule = rules['rules'][0] as Json;
    expect(rule).toMatchObject({
      expression: '(not ssl.client_cert.verified and http.host in {"api.example.com"})',
      action: { type: 'block', status: 403 },
      enabled: true,
    });
    // The tester: no certificate → blocked by that rule; the issued certificate → passes.
    await page.getByLabel('Host', { exact: true }).fill('api.example.com');
    await page.getByRole('button', { name: 'Test' }).click();
    await page
      .getByText(`Decision: block (403) — deciding rule: #1 Block failed client certificate authentication (${rule['id']})`)
      .waitFor();
    await page.getByLabel('Client certificate (PEM, optional)').fill(copiedCertificate);
    await page.getByRole('button', { name: 'Test' }).click();
    await page.getByText('Decision: pass — no rule decided').waitFor();
    await screenshot(page, '05-waf-rules');

    // Revoke needs the confirmation checkbox; then activate again.
    await page.getByRole('link', { name: 'Client certificates' }).click();
    await page.getByRole('button', { name: 'Revoke console-user' }).click();
    const revoke = page.getByRole('dialog', { name: 'Revoke console-user' });
    const revokeButton = revoke.getByRole('button', { name: 'Revoke certificate' });
    expect(await revokeButton.isDisabled()).toBe(true);
    await revoke.getByLabel('I confirm that the certificate is no longer required').check();
    await screenshot(page, '06-revoke-dialog');
    await revokeButton.click();
    await row.getByText('revoked').waitFor();
    const revoked = await cp.call('GET', `/v1/sites/${site['id']}/client-certificates/${certificate['id']}`, apiKey);
    expect(revoked['status']).toBe('revoked');

    await page.getByRole('button', { name: 'Activate console-user' }).click();
    await row.getByText('active').waitFor();
    const activated = await cp.call('GET', `/v1/sites/${site['id']}/client-certificates/${certificate['id']}`, apiKey);
    expect(activated['status']).toBe('active');
    await screenshot(page, '07-certificates');

    expect(consoleErrors).toEqual([]);
    await page.close();
  });

  it('uploads a server certificate and a custom CA with its CRL and a hand revocation, binds a hostname to that CA, issues from a CSR, and warns on, orders and disables WAF rules', async () => {
    const material = await makeTestMaterial(work, 'example.net');
    const site = await cp.call('POST', '/v1/sites', apiKey, { name: 'example.net', originUrl: 'http://127.0.0.1:8001' });
    const siteId = String(site['id']);
    const page = await browser.newPage();
    await signIn(page, apiKey);
    await page.getByRole('link', { name: 'example.net' }).click();

    // Server certificate: the warning goes once one is uploaded.
    await page.getByText('tlsv1 unrecognized name').waitFor();
    await page.getByLabel('Certificate chain (PEM, leaf first)').fill(material.serverChainPem);
    await page.getByLabel('Private key (PEM)').fill(material.serverKeyPem);
    await page.getByRole('button', { name: 'Upload server certificate' }).click();
    await page.getByRole('cell', { name: 'example.net, *.example.net', exact: true }).waitFor();
    expect(await page.getByText('tlsv1 unrecognized name').count()).toBe(0);
    const servers = await cp.call('GET', `/v1/sites/${siteId}/server-certificates`, apiKey);
    expect(servers['items']).toHaveLength(1);
    expect(servers['items'][0]['hostnames']).toEqual(['example.net', '*.example.net']);

    // Custom CA: upload, details, CRL, a serial revoked by hand.
    await page.getByRole('link', { name: 'Custom CAs' }).click();
    await page.getByLabel('Name').fill('Partner CA');
    await page.getByLabel('CA certificate (PEM)').fill(material.clientCaPem);
    await page.getByRole('button', { name: 'Upload CA' }).click();
    await page.getByRole('button', { name: 'Details of Partner CA' }).click();
    const details = page.getByRole('dialog', { name: 'CA Partner CA' });
    await details.getByText('No CRL uploaded.').waitFor();
    await details.getByLabel('CRL (PEM, or base64 DER)').fill(material.clientCaCrlPem);
    await details.getByRole('button', { name: 'Upload CRL' }).click();
    await details.getByText('Revoked entries').waitFor();
    await details.getByLabel('Serial number (hex)').fill('a1b2c3');
    await details.getByLabel('Reason (optional)').fill('laptop lost');
    await details.getByRole('button', { name: 'Revoke serial' }).click();
    await details.getByRole('cell', { name: 'laptop lost', exact: true }).waitFor();
    await screenshot(page, '10-custom-ca');
    const cas = await cp.call('GET', `/v1/sites/${siteId}/client-ca-certificates`, apiKey);
    expect(cas['items']).toMatchObject([{ name: 'Partner CA', commonName: 'Console partner CA' }]);
    const caId = String(cas['items'][0]['id']);
    const crl = await cp.call('GET', `/v1/sites/${siteId}/client-ca-certificates/${caId}/crl`, apiKey);
    expect(crl).toMatchObject({ caId, revokedCount: 0, crlNumber: '1' });
    const revocations = await cp.call('GET', `/v1/sites/${siteId}/client-ca-certificates/${caId}/revocations`, apiKey);
    expect(revocations['items']).toMatchObject([{ serialNumber: 'a1b2c3', reason: 'laptop lost', source: 'manual' }]);
    await details.getByRole('button', { name: 'Close' }).click();

    // Bind a hostname to the custom CA.
    await page.getByRole('link', { name: 'Hostname bindings' }).click();
    await page.getByLabel('Certificate authority').selectOption(caId);
    await page.getByLabel('Hostname', { exact: true }).first().fill('partner.example.net');
    await page.getByRole('button', { name: 'Save hostnames' }).click();
    await page.getByText('Bound 1 hostnames to the Custom CA: Partner CA').waitFor();
    expect((await cp.call('GET', `/v1/sites/${siteId}/ca-bindings/${caId}`, apiKey))['hostnames']).toEqual(['partner.example.net']);
    expect((await cp.call('GET', `/v1/sites/${siteId}/ca-bindings/account`, apiKey))['hostnames']).toEqual([]);

    // A certificate from a pasted CSR: no key to show.
    await page.getByRole('link', { name: 'Client certificates' }).click();
    await page.getByRole('button', { name: 'Create certificate' }).click();
    const create = page.getByRole('dialog', { name: 'Create certificate' });
    await create.getByLabel('Use my CSR').check();
    await create.getByLabel('CSR (PEM)').fill(material.csrPem);
    await create.getByRole('button', { name: 'Create' }).click();
    const created = page.getByRole('dialog', { name: 'Certificate created' });
    await created.getByRole('button', { name: 'Copy certificate' }).waitFor();
    expect(await created.getByRole('button', { name: 'Copy private key' }).count()).toBe(0);
    expect(await created.textContent()).not.toContain('PRIVATE KEY');
    await created.getByRole('button', { name: 'Done' }).click();
    // The list drawn again after the dialog closed holds the new certificate.
    await expect.poll(() => page.locator('tr[data-certificate-id]').count()).toBe(1);
    const issued = await cp.call('GET', `/v1/sites/${siteId}/client-certificates`, apiKey);
    expect(issued['items']).toMatchObject([{ commonName: 'csr-user', keySource: 'csr', status: 'active' }]);
    await page.getByRole('searchbox', { name: 'Search this page' }).fill('no such certificate');
    await expect.poll(() => page.locator('tr[data-certificate-id]').count()).toBe(0);
    await page.getByRole('searchbox', { name: 'Search this page' }).fill(String(issued['items'][0]['serialNumber']).slice(0, 8));
    await expect.poll(() => page.locator('tr[data-certificate-id]').count()).toBe(1);

    // WAF: a certificate rule without a hostname is saved with the warning; order; disable.
    await page.getByRole('link', { name: 'WAF rules' }).click();
    await page.getByLabel('Rule name').fill('everywhere');
    await page.getByLabel('Expression', { exact: true }).fill('not ssl.client_cert.verified');
    await page.getByRole('button', { name: 'Add rule' }).nth(1).click();
    await page.getByText('Waf.CertWithoutHost').waitFor();
    await page.getByLabel('Hostname in').fill('partner.example.net');
    await page.getByRole('button', { name: 'Add rule' }).first().click();
    await expect.poll(() => page.locator('tr[data-rule-id]').count()).toBe(2);
    const before = (await cp.call('GET', `/v1/sites/${siteId}/waf-rules`, apiKey))['rules'] as Json[];
    expect(before.map((r) => r['name'])).toEqual(['everywhere', 'Block failed client certificate authentication']);
    await page.getByRole('button', { name: 'Move rule 2 up' }).click();
    await expect
      .poll(async () => ((await cp.call('GET', `/v1/sites/${siteId}/waf-rules`, apiKey))['rules'] as Json[]).map((r) => r['id']))
      .toEqual([before[1]!['id'], before[0]!['id']]);
    const everywhere = page.locator(`tr[data-rule-id="${before[0]!['id']}"]`);
    await everywhere.getByText('2', { exact: true }).waitFor();
    await everywhere.getByRole('button', { name: 'Disable' }).click();
    await everywhere.getByText('disabled').waitFor();
    expect((await cp.call('GET', `/v1/sites/${siteId}/waf-rules/${before[0]!['id']}`, apiKey))['enabled']).toBe(false);
    await screenshot(page, '11-waf-ordered');
    await page.close();
  });

  it('gives the administrator a join token, shows the edge it enrolled in sync, and the audit log with filters', async () => {
    const page = await browser.newPage();
    await signIn(page, cp.adminToken);
    await page.getByRole('heading', { name: 'Fleet' }).waitFor();
    await page.getByText('No edge has connected to this replica.').waitFor();
    await page.getByRole('link', { name: 'Join tokens' }).click();
    await page.getByLabel('Name').fill('console edge');
    await page.getByRole('button', { name: 'Create join token' }).click();
    const dialog = page.getByRole('dialog', { name: 'Join token created' });
    const joinToken = (await dialog.locator('[data-secret]').textContent())!.trim();
    const fleetCaSha256 = (await dialog.locator('[data-fleet-ca]').textContent())!.trim();
    expect(joinToken).toMatch(/^pjt_/);
    await dialog.getByRole('button', { name: 'Done' }).click();
    await page.getByRole('cell', { name: 'console edge', exact: true }).waitFor();
    const tokens = await cp.call('GET', '/v1/edge-join-tokens', cp.adminToken);
    expect(tokens['items']).toMatchObject([{ name: 'console edge', maxUses: 1, uses: 0 }]);

    const edge = await startEdge({
      nodeId: 'edge-console',
      controlPlane: cp.origin,
      discoveryPort: cp.discoveryPort,
      joinToken,
      fleetCaSha256,
    });
    try {
      // The exact state the page then shows: the edge holds this replica's current configuration.
      let listed: Json | undefined;
      for (const started = Date.now(); Date.now() - started < 30_000 && !edge.exited(); await new Promise((r) => setTimeout(r, 200))) {
        const answer = await cp.call('GET', '/v1/edges', cp.adminToken);
        listed = (answer['items'] as Json[]).find((e) => e['nodeId'] === 'edge-console');
        if (
          listed?.['connected'] &&
          (listed['types'] as Json[]).length > 0 &&
          (listed['types'] as Json[]).every((t) => t['inSync'] === true)
        )
          break;
        listed = undefined;
      }
      expect(listed, edge.output()).toBeDefined();
      const version = String((listed!['types'] as Json[])[0]!['systemVersion']);
      await page.getByRole('link', { name: 'Fleet' }).click();
      const row = page.getByRole('row').filter({ hasText: 'edge-console' });
      await row.getByText('in sync', { exact: true }).waitFor();
      expect(await row.textContent()).toContain('connected');
      expect(await row.getByRole('cell').nth(2).textContent()).toContain(version);
      expect(await row.textContent()).toMatch(/ACK \d{4}-\d{2}-\d{2}/);
      await screenshot(page, '08-fleet');
    } finally {
      await edge.stop();
    }

    await page.getByRole('link', { name: 'Audit log' }).click();
    await page.getByRole('cell', { name: 'EdgeJoinToken.Create', exact: true }).waitFor();
    const accounts = await cp.call('GET', '/v1/accounts', cp.adminToken);
    const accountId = String(accounts['items'][0]['id']);
    await page.getByLabel('Log of').selectOption(accountId);
    await page.getByRole('button', { name: 'Show' }).click();
    await page.getByRole('cell', { name: 'ClientCertificate.Revoke' }).first().waitFor();
    await page.getByLabel('Action contains').fill('WafRule');
    await expect.poll(() => page.getByRole('cell', { name: 'ClientCertificate.Revoke' }).count()).toBe(0);
    const log = await cp.call('GET', `/v1/audit-log?accountId=${accountId}&pageSize=50`, cp.adminToken);
    const wafEntries = (log['items'] as Json[]).filter((e) => String(e['action']).includes('WafRule'));
    expect(wafEntries.length).toBeGreaterThan(0);
    expect(await page.locator('main tbody tr').count()).toBe(wafEntries.length);
    await screenshot(page, '09-audit');
    await page.close();
  });

  it('reaches the sign-in field and button with Tab alone, focus visible', async () => {
    const page = await browser.newPage();
    await page.goto(`${cp.origin}/console/`);
    await page.getByLabel('API key or administrator token').waitFor();
    await page.evaluate(() => (document.activeElement as HTMLElement | null)?.blur());
    const reached: string[] = [];
    for (let i = 0; i < 6; i++) {
      await page.keyboard.press('Tab');
      const focused = await page.evaluate(() => {
        const element = document.activeElement as HTMLElement;
        const style = getComputedStyle(element);
        return {
          what: `${element.tagName}:${element.getAttribute('name') ?? element.textContent?.trim()}`,
          outline: style.outlineStyle,
          width: style.outlineWidth,
        };
      });
      // The first press may only give the page itself focus.
      if (focused.what.startsWith('BODY:')) continue;
      reached.push(focused.what);
      expect(focused.outline, focused.what).not.toBe('none');
      expect(focused.width, focused.what).not.toBe('0px');
    }
    // The focus order of the page: skip link, the key field, the button.
    const skip = reached.indexOf('A:Skip to content');
    expect(skip, reached.join(' → ')).toBeGreaterThanOrEqual(0);
    expect(reached.slice(skip, skip + 3), reached.join(' → ')).toEqual(['A:Skip to content', 'INPUT:apiKey', 'BUTTON:Sign in']);
    for (let i = 0; i < 4 && (await page.evaluate(() => document.activeElement?.textContent)) !== 'Sign in'; i++)
      await page.keyboard.press('Tab');
    await page.keyboard.press('Shift+Tab');
    await page.keyboard.type('pk_not_a_key');
    await page.keyboard.press('Enter');
    // A refused key: the API's code beside the field, focus back on it.
    await expect.poll(() => page.locator('#main .field .error').textContent()).toMatch(/^Auth[A-Za-z.]*:/);
    expect(await page.evaluate(() => document.activeElement?.getAttribute('name'))).toBe('apiKey');
    expect(await page.evaluate(() => sessionStorage.length)).toBe(0);
    await page.keyboard.press('Control+A');
    await page.keyboard.type(apiKey);
    await page.keyboard.press('Enter');
    await page.getByRole('heading', { name: 'Sites' }).waitFor();
    await page.close();
  });

  it('labels every input on every page', async () => {
    const page = await browser.newPage();
    await signIn(page, apiKey);
    await page.getByRole('heading', { name: 'Sites' }).waitFor();
    const siteId = String((await cp.call('GET', '/v1/sites', apiKey))['items'][0]['id']);
    const unlabelled = () =>
      page.evaluate(() =>
        [...document.querySelectorAll('input, select, textarea')]
          .filter((e) => !(e as HTMLInputElement).labels?.length && !e.getAttribute('aria-label') && !e.getAttribute('aria-labelledby'))
          .map((e) => e.outerHTML),
      );
    expect(await unlabelled()).toEqual([]);
    for (const tab of ['overview', 'certificates', 'bindings', 'cas', 'waf']) {
      await page.goto(`${cp.origin}/console/#/sites/${siteId}/${tab}`);
      await page.locator('#tab-title').waitFor();
      await page.locator('main form, main table').first().waitFor();
      expect(await unlabelled(), tab).toEqual([]);
      expect(await page.locator('input, select, textarea').count(), tab).toBeGreaterThan(0);
    }
    await page.getByRole('button', { name: 'Sign out' }).click();
    await signIn(page, cp.adminToken);
    for (const tab of ['edges', 'accounts', 'join-tokens']) {
      await page.goto(`${cp.origin}/console/#/fleet/${tab}`);
      await page.locator('main h1').waitFor();
      expect(await unlabelled(), tab).toEqual([]);
    }
    await page.close();
  });

  it('made every request of these pages to the control plane’s own origin', () => {
    expect(browser.requests.length).toBeGreaterThan(20);
    const foreign = browser.requests.filter((url) => !url.startsWith(`${cp.origin}/`) && !url.startsWith(`blob:${cp.origin}/`));
    expect(foreign).toEqual([]);
    expect(readFileSync(path.join(import.meta.dirname, '../public/index.html'), 'utf8')).not.toMatch(/https?:\/\//);
  });

  it('sent the key only as a Bearer header, never in a URL, and asked for no cached answer', async () => {
    expect(browser.apiRequests.length).toBeGreaterThan(20);
    for (const { url, headers } of await Promise.all(browser.apiRequests)) {
      expect(headers['authorization'], url).toMatch(/^Bearer \S+$/);
      expect(url).not.toContain(apiKey);
      expect(url).not.toContain(cp.adminToken);
      expect(headers['cache-control'], url).toBe('no-cache');
    }
  });
});

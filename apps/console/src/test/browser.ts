import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

/** Where the browser tests leave their screenshots (git-ignored). */
export const artefactsDir = path.resolve(import.meta.dirname, '../../test-artefacts');

/** Debian's Chromium (apt-get install chromium), headless, with nothing that calls home. */
const chromiumArgs = [
  '--headless',
  '--no-sandbox',
  '--disable-background-networking',
  '--disable-gpu',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];

export interface TestBrowser {
  readonly context: BrowserContext;
  /** Every URL the pages of this browser requested, in order. */
  readonly requests: string[];
  /** The requests to the API (/v1/) with every header the browser sent, read as they were made. */
  readonly apiRequests: Promise<{ url: string; headers: Record<string, string> }>[];
  newPage(): Promise<Page>;
  close(): Promise<void>;
}

/**
 * A Chromium with a fresh profile, a 1366×768 laptop viewport, downloads accepted and the
 * clipboard granted for `origin`; it records every request its pages make.
 */
export async function launchBrowser(origin: string): Promise<TestBrowser> {
  mkdirSync(artefactsDir, { recursive: true });
  const profile = mkdtempSync(path.join(os.tmpdir(), 'portcullis-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: '/usr/bin/chromium',
    args: chromiumArgs,
    viewport: { width: 1366, height: 768 },
    acceptDownloads: true,
  });
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin });
  const requests: string[] = [];
  const apiRequests: TestBrowser['apiRequests'][number][] = [];
  context.on('request', (request) => {
    requests.push(request.url());
    if (new URL(request.url()).pathname.startsWith('/v1/')) {
      apiRequests.push(request.allHeaders().then((headers) => ({ url: request.url(), headers })));
    }
  });
  return {
    context,
    requests,
    apiRequests,
    newPage: () => context.newPage(),
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** Saves a full-page screenshot as test-artefacts/<name>.png. */
export async function screenshot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: path.join(artefactsDir, `${name}.png`), fullPage: true });
}

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startControlPlane } from './test/control-plane-process.ts';

const root = path.resolve(import.meta.dirname, '../../..');
const work = mkdtempSync(path.join(os.tmpdir(), 'portcullis-console-bundle-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/**
 * The image runs the bundled control plane from dist, where esbuild is not installed: the
 * build must put the console beside main.mjs, and the bundle must serve that prebuilt copy.
 */
describe('console in the bundled control plane', () => {
  it('is built by tools/build/bundle-app.ts and served from dist without esbuild', async () => {
    const outdir = path.join(work, 'dist');
    execFileSync(process.execPath, [path.join(root, 'tools/build/bundle-app.ts'), 'control-plane', outdir], { stdio: 'pipe' });
    const cp = await startControlPlane(path.join(outdir, 'main.mjs'));
    try {
      const page = await fetch(`${cp.origin}/console/`);
      expect(page.status).toBe(200);
      expect(page.headers.get('content-security-policy')).toContain("default-src 'self'");
      expect(await page.text()).toBe(readFileSync(path.join(root, 'apps/console/public/index.html'), 'utf8'));
      const script = await fetch(`${cp.origin}/console/console.js`);
      expect(script.status).toBe(200);
      expect(await script.text()).toBe(readFileSync(path.join(outdir, 'console/console.js'), 'utf8'));
      expect((await fetch(`${cp.origin}/console/console.css`)).status).toBe(200);
    } finally {
      await cp.stop();
    }
  });
});

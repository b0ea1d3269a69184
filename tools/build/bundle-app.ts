import { cpSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { build } from 'esbuild';

/**
 * `node tools/build/bundle-app.ts <app>`: bundles apps/<app>/src/main.ts with the workspace
 * libraries and every npm dependency into dist/apps/<app>/main.mjs (plus a source map), the
 * one file its container image runs with Node 24. Static assets that packages read from
 * disk at run time are copied beside it (see `assets`).
 */
const root = path.resolve(import.meta.dirname, '../..');
const app = process.argv[2];
if (!app || !/^[a-z-]+$/.test(app)) {
  console.error('usage: node tools/build/bundle-app.ts <app>');
  process.exit(2);
}
const outdir = path.join(root, 'dist/apps', app);

/** Files a bundled package still loads from disk: package folder → folder beside main.mjs. */
const assets: Record<string, Record<string, string>> = {
  'control-plane': { 'node_modules/@fastify/swagger-ui/static': 'static' },
};

rmSync(outdir, { recursive: true, force: true });
mkdirSync(outdir, { recursive: true });
const result = await build({
  entryPoints: [path.join(root, 'apps', app, 'src/main.ts')],
  outfile: path.join(outdir, 'main.mjs'),
  bundle: true,
  platform: 'node',
  target: 'node24',
  format: 'esm',
  sourcemap: 'linked',
  metafile: true,
  legalComments: 'linked',
  logLevel: 'warning',
  // CommonJS dependencies call require() for Node built-ins; give the ES module one.
  banner: { js: "import { createRequire as __portcullisRequire } from 'node:module'; const require = __portcullisRequire(import.meta.url);" },
});
for (const [from, to] of Object.entries(assets[app] ?? {})) {
  cpSync(path.join(root, from), path.join(outdir, to), { recursive: true });
}
writeFileSync(path.join(outdir, 'package.json'), `${JSON.stringify({ type: 'module', private: true }, null, 2)}\n`);
const bytes = Object.values(result.metafile.outputs).reduce((sum, o) => sum + o.bytes, 0);
console.log(`bundled ${app} → ${path.relative(root, outdir)}/main.mjs (${(bytes / 1024 / 1024).toFixed(1)} MiB with maps)`);

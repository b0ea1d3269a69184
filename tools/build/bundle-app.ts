import { cpSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { build } from 'esbuild';

/**
 * `node tools/build/bundle-app.ts <app> [outdir]`: bundles apps/<app>/src/main.ts with the workspace
 * libraries and every npm dependency into dist/apps/<app>/main.mjs (plus a source map), the
 * one file its container image runs with Node 24. Static assets that packages read from
 * disk at run time are copied beside it (see `assets`).
 */
const root = path.resolve(import.meta.dirname, '../..');
const [app, outdirArgument] = process.argv.slice(2);
if (!app || !/^[a-z-]+$/.test(app)) {
  console.error('usage: node tools/build/bundle-app.ts <app> [outdir]');
  process.exit(2);
}
const outdir = outdirArgument ? path.resolve(outdirArgument) : path.join(root, 'dist/apps', app);

/** Files a bundled package still loads from disk: package folder → folder beside main.mjs. */
const assets: Record<string, Record<string, string>> = {
  'control-plane': { 'node_modules/@fastify/swagger-ui/static': 'static', 'apps/console/public': 'console' },
};

/** Browser bundles an app serves: entry → file beside main.mjs (the web console, console-routes.ts). */
const browserBundles: Record<string, Record<string, string>> = {
  'control-plane': { 'apps/console/src/main.ts': 'console/console.js' },
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
  // Bundled CommonJS dependencies expect require(), __dirname and __filename; an ES module
  // has none of them, so the bundle defines them for its own location.
  banner: {
    js: [
      "import { createRequire as __portcullisRequire } from 'node:module';",
      "import { fileURLToPath as __portcullisPath } from 'node:url';",
      'const require = __portcullisRequire(import.meta.url);',
      'const __filename = __portcullisPath(import.meta.url);',
      'const __dirname = import.meta.dirname;',
    ].join(' '),
  },
});
for (const [from, to] of Object.entries(assets[app] ?? {})) {
  cpSync(path.join(root, from), path.join(outdir, to), { recursive: true });
}
for (const [entry, out] of Object.entries(browserBundles[app] ?? {})) {
  await build({
    entryPoints: [path.join(root, entry)],
    outfile: path.join(outdir, out),
    bundle: true,
    platform: 'browser',
    target: 'es2022',
    format: 'esm',
    minify: true,
    logLevel: 'warning',
  });
}
writeFileSync(path.join(outdir, 'package.json'), `${JSON.stringify({ type: 'module', private: true }, null, 2)}\n`);
const bytes = Object.values(result.metafile.outputs).reduce((sum, o) => sum + o.bytes, 0);
console.log(`bundled ${app} → ${path.relative(root, outdir)}/main.mjs (${(bytes / 1024 / 1024).toFixed(1)} MiB with maps)`);

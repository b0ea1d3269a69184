import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { ensureImage } from '@portcullis/testing';

/**
 * `npm run images`: builds the container images of the apps on Node 24. Public base images
 * come from their registry where it answers, else from stand-ins made of this machine's
 * binaries (see libs/testing's ensureImage), so this works on a closed network too.
 * Run `npm run build` first; each image's context is the app's bundle in dist/apps/<app>.
 */
const root = path.resolve(import.meta.dirname, '../..');
const apps = ['control-plane', 'edge-node'];

for (const base of ['node:24-bookworm-slim', 'redis:7']) {
  console.log(`${base}: ${ensureImage(base)}`);
}
for (const app of apps) {
  const tag = `portcullis/${app}:dev`;
  execFileSync(
    'docker',
    ['build', '--network', 'host', '--tag', tag, '--file', path.join(root, 'apps', app, 'Dockerfile'), path.join(root, 'dist/apps', app)],
    { stdio: 'inherit' },
  );
  console.log(`built ${tag}`);
}

import { execFileSync } from 'node:child_process';
import path from 'node:path';

/**
 * `npm run proto`: lints proto/ with buf and regenerates libs/proto/src/gen with ts-proto.
 * Both tools are pinned dev dependencies, so the output is the same on every machine;
 * `npm run proto:check` (run by CI) fails when the committed code is stale.
 */
const root = path.resolve(import.meta.dirname, '../..');
const buf = path.join(root, 'node_modules/.bin/buf');

execFileSync(buf, ['lint'], { cwd: path.join(root, 'proto'), stdio: 'inherit' });
execFileSync(buf, ['generate', 'proto', '--template', 'proto/buf.gen.yaml'], { cwd: root, stdio: 'inherit' });
console.log('generated libs/proto/src/gen from proto/');

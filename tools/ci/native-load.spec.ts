import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * Portcullis runs its TypeScript on Node 24's own type stripping, not through a bundler.
 * Vitest transforms code itself, so this checks the real runtime: every library must load
 * in a plain `node` process (erasable syntax only, `.ts` import suffixes, `import type`).
 */
const root = path.resolve(import.meta.dirname, '../..');
const libraries = readdirSync(path.join(root, 'libs')).map(
  (dir) => JSON.parse(readFileSync(path.join(root, 'libs', dir, 'package.json'), 'utf8')).name as string,
);

describe('libraries under plain Node', () => {
  it.each(libraries)('%s loads with native type stripping', (name) => {
    const out = execFileSync(
      process.execPath,
      ['--input-type=module', '-e', `const m = await import(${JSON.stringify(name)}); console.log(String(Object.keys(m).length));`],
      { cwd: root, encoding: 'utf8' },
    );
    expect(out.trim()).toMatch(/^[1-9]\d*$/);
  });
});

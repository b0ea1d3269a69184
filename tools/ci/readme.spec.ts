import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * The README's Quick start promises two commands; CI must run the second one verbatim, and
 * the npm scripts both rely on must exist.
 */
const root = path.resolve(import.meta.dirname, '../..');
const readme = readFileSync(path.join(root, 'README.md'), 'utf8');
const quickStart = /## Quick start[\s\S]*?```sh\n([\s\S]*?)```/.exec(readme)?.[1] ?? '';
const commands = quickStart.split('\n').filter((line) => line.trim() !== '' && !line.trim().startsWith('#'));

describe('README quick start', () => {
  it('has exactly two commands: run, then test', () => {
    expect(commands).toHaveLength(2);
    expect(commands[0]).toContain('npm start');
    expect(commands[1]).toContain('npm test');
  });

  it('is what CI runs', () => {
    const ci = readFileSync(path.join(root, '.ci/run'), 'utf8');
    expect(ci.split('\n')).toContain(commands[1]);
  });

  it('names npm scripts that exist', () => {
    const scripts = (JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;
    for (const command of commands) {
      for (const [, script] of command.matchAll(/npm (?:run )?(\w[\w:-]*)/g)) {
        if (script === 'ci') continue;
        expect(scripts, `npm ${script}`).toHaveProperty(script!);
      }
    }
  });
});

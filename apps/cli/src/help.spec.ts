import { describe, expect, it } from 'vitest';
import { commandTree, isGroup } from './commands/index.ts';
import { runInMemory } from './test/memory-io.ts';

const commands = commandTree.flatMap((entry) =>
  isGroup(entry)
    ? entry.commands.map((command) => ({ words: [entry.name, command.name], command }))
    : [{ words: [entry.name], command: entry }],
);

describe('help', () => {
  it.each(commands.map((c) => [c.words.join(' '), c] as const))(
    'portcullis %s --help prints its usage and every option, exit 0',
    async (_name, { words, command }) => {
      const result = await runInMemory([...words, '--help']);
      expect(result.code).toBe(0);
      expect(result.stderr).toBe('');
      expect(result.stdout.startsWith(`Usage: portcullis ${words.join(' ')} `)).toBe(true);
      expect(result.stdout).toContain(command.summary);
      for (const option of Object.keys(command.options ?? {})) expect(result.stdout).toContain(`--${option}`);
      for (const arg of command.args ?? []) expect(result.stdout).toContain(arg.name.toUpperCase());
      expect(result.stdout).toContain('--output table|json');
      // `help <words>` and `-h` say the same.
      expect((await runInMemory(['help', ...words])).stdout).toBe(result.stdout);
      expect((await runInMemory([...words, '-h'])).stdout).toBe(result.stdout);
    },
  );

  it.each(commandTree.filter(isGroup).map((g) => [g.name, g] as const))('portcullis %s --help lists its verbs', async (_name, group) => {
    const result = await runInMemory([group.name, '--help']);
    expect(result.code).toBe(0);
    expect(result.stdout.startsWith(`Usage: portcullis ${group.name} <verb>`)).toBe(true);
    for (const command of group.commands)
      expect(result.stdout).toMatch(new RegExp(`^  ${command.name} +${command.summary.slice(0, 20).replace(/[()]/g, '.')}`, 'm'));
  });

  it('the top-level help lists every command, with the configuration order and exit codes', async () => {
    const result = await runInMemory(['--help']);
    expect(result.code).toBe(0);
    for (const entry of commandTree) expect(result.stdout).toMatch(new RegExp(`^  ${entry.name} `, 'm'));
    expect(result.stdout).toContain('PORTCULLIS_URL, PORTCULLIS_API_KEY');
    expect(result.stdout).toContain('Exit codes: 0 success, 1');
  });

  it('a group without a verb prints its help to stderr with exit 2; one with a default verb runs it', async () => {
    const certs = await runInMemory(['certs']);
    expect(certs.code).toBe(2);
    expect(certs.stdout).toBe('');
    expect(certs.stderr).toContain('Usage: portcullis certs <verb>');
    // `audit` runs `audit list`, which needs a key: a usage error naming the key, not the group help.
    const audit = await runInMemory(['audit']);
    expect(audit.code).toBe(2);
    expect(audit.stderr).toContain('no API key');
  });

  it('global options may come before the command words', async () => {
    const result = await runInMemory(['-o', 'json', '--url', 'http://127.0.0.1:1', 'certs', 'create', '--help']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('Usage: portcullis certs create');
  });
});

import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync, mkdirSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** Where every benchmark writes its results: one section per benchmark. */
export const reportPath = path.resolve(import.meta.dirname, '../../docs/benchmarks.md');

const header = `# Benchmarks

Each section is written by its benchmark (\`npm run bench -- <name>\`, or \`npm run bench\` for
all) and replaced whole when that benchmark runs again. Figures from different sections may
come from different runs; ratios within one section come from one run on one machine.
`;

/** One line naming the machine and runtime a section was measured on. */
export function machineLine(): string {
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  const openssl = (() => {
    try {
      return execFileSync('openssl', ['version'], { encoding: 'utf8' }).trim();
    } catch {
      return 'openssl CLI not found';
    }
  })();
  return (
    `${cpu}, ${os.cpus().length} cores, ${Math.round(os.totalmem() / 2 ** 30)} GiB; ` +
    `Node ${process.versions.node} (OpenSSL ${process.versions.openssl}); CLI ${openssl}`
  );
}

/**
 * Replaces (or appends) the section `name` of docs/benchmarks.md with `body`, stamped with
 * the command that produced it, the date and the machine. Other sections are left as they are.
 */
export function writeSection(name: string, command: string, body: string): void {
  const begin = `<!-- bench:${name} -->`;
  const end = `<!-- /bench:${name} -->`;
  const section =
    `${begin}\n## ${name}\n\n` +
    `Command: \`${command}\`  \n` +
    `Run: ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC on ${machineLine()}\n\n` +
    `${body.trim()}\n${end}`;
  let text: string;
  try {
    text = readFileSync(reportPath, 'utf8');
  } catch {
    text = header;
  }
  const from = text.indexOf(begin);
  const to = text.indexOf(end);
  text = from >= 0 && to > from ? text.slice(0, from) + section + text.slice(to + end.length) : `${text.trimEnd()}\n\n${section}\n`;
  mkdirSync(path.dirname(reportPath), { recursive: true });
  writeFileSync(reportPath, text);
}

/** Formats a rate for a table: thousands separators, no decimals above 100. */
export function rate(perSecond: number): string {
  return perSecond >= 100 ? Math.round(perSecond).toLocaleString('en-US') : perSecond.toFixed(1);
}

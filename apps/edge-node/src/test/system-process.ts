import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';

const repoRoot = path.resolve(import.meta.dirname, '../../../..');

/** A Portcullis process (control plane or edge) started from its entry file, its output kept. */
export interface SystemProcess {
  readonly child: ChildProcess;
  /** Everything it wrote to stdout and stderr so far. */
  output(): string;
  /** Its JSON log lines (pino) so far. */
  logLines(): Record<string, unknown>[];
  readonly exited: Promise<number | null>;
}

/** Starts `entry` (relative to the repository) with `env` and no inherited PORTCULLIS_ variables. */
export function startSystemProcess(entry: string, env: Record<string, string>): SystemProcess {
  const inherited = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('PORTCULLIS_')));
  const child = spawn(process.execPath, [entry], { cwd: repoRoot, env: { ...inherited, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  return {
    child,
    output: () => output,
    logLines: () =>
      output.split('\n').flatMap((line) => {
        if (!line.startsWith('{')) return [];
        try {
          return [JSON.parse(line) as Record<string, unknown>];
        } catch {
          return [];
        }
      }),
    exited: new Promise((resolve) => child.on('exit', (code) => resolve(code))),
  };
}

/**
 * Polls `probe` every 100 ms until it returns true, for at most `timeoutMs`; fails at once if
 * one of `running` exits, and shows their latest output when time runs out.
 */
export async function eventually(what: string, timeoutMs: number, probe: () => Promise<boolean>, running: SystemProcess[]): Promise<void> {
  const started = Date.now();
  for (;;) {
    for (const proc of running)
      if (proc.child.exitCode !== null) throw new Error(`${what}: a process exited: ${proc.output().slice(-3000)}`);
    if (await probe().catch(() => false)) return;
    if (Date.now() - started > timeoutMs)
      throw new Error(`${what}: not within ${timeoutMs} ms\n${running.map((p) => p.output().slice(-3000)).join('\n---\n')}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

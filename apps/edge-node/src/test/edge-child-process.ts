import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import path from 'node:path';
import type { ServingLimits } from '../http/serving-limits.ts';
import type { EdgeChildInfo, EdgeChildMemory } from './edge-child.ts';

/** A test edge running as a process of its own (edge-child.ts), measured from outside. */
export interface EdgeChildProcess {
  readonly info: EdgeChildInfo;
  readonly pid: number;
  /** Open file descriptors of the edge process now (/proc/<pid>/fd). */
  fds(): number;
  /** The edge's heap after a full collection, and its RSS. */
  memory(): Promise<EdgeChildMemory>;
  stop(): Promise<void>;
}

/** Starts edge-child.ts with `limits`; rejects if it is not listening within 30 s. */
export async function startEdgeChild(limits: Partial<ServingLimits>): Promise<EdgeChildProcess> {
  const child = spawn(process.execPath, ['--expose-gc', path.join(import.meta.dirname, 'edge-child.ts'), JSON.stringify(limits)], {
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const next = <T>(what: string) =>
    new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`edge child: no ${what} within 30 s`)), 30_000);
      child.once('message', (message) => {
        clearTimeout(timer);
        resolve(message as T);
      });
      void exited.then(() => {
        clearTimeout(timer);
        reject(new Error(`edge child exited before its ${what}`));
      });
    });
  const info = await next<EdgeChildInfo>('start');
  const pid = child.pid!;
  return {
    info,
    pid,
    fds: () => readdirSync(`/proc/${pid}/fd`).length,
    memory: () => {
      const answer = next<EdgeChildMemory>('memory answer');
      child.send('memory');
      return answer;
    },
    async stop() {
      if (child.exitCode !== null) return;
      const killer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      child.disconnect();
      await exited;
      clearTimeout(killer);
    },
  };
}

import type { ChildProcess } from 'node:child_process';
import net from 'node:net';
import { until } from './process-cpu.ts';

/** A server under test: where it listens and which processes do its work. */
export interface ServerUnderTest {
  readonly name: string;
  readonly port: number;
  /** The processes whose CPU and memory count as the server's (with their descendants). */
  readonly pids: readonly number[];
  stop(): Promise<void>;
}

/** How a peer is started for one run: its server cores (nginx workers, HAProxy threads, …). */
export interface PeerOptions {
  readonly dir: string;
  readonly port: number;
  readonly hostname: string;
  readonly origin: string;
  readonly cores: 1 | 2;
}

/** Resolves when the child prints `text` on stdout or stderr; rejects if it exits first. */
export function waitForLine(child: ChildProcess, text: string, timeoutMs = 30_000): Promise<void> {
  return new Promise((resolve, reject) => {
    let seen = '';
    const timer = setTimeout(() => reject(new Error(`no "${text}" within ${timeoutMs} ms: ${seen}`)), timeoutMs);
    const look = (chunk: Buffer) => {
      seen += chunk.toString();
      if (seen.includes(text)) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout?.on('data', look);
    child.stderr?.on('data', look);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`server exited (${code}) before "${text}": ${seen}`));
    });
  });
}

/** Stops a child with SIGTERM and waits for it to be gone. */
export async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

/** Shell prefix that raises the open-files limit to the hard limit before exec'ing a server. */
export const withFileLimit = ['sh', '-c', 'ulimit -n "$(ulimit -Hn)" && exec "$0" "$@"'] as const;

/** Resolves once something accepts TCP connections on 127.0.0.1:`port`. */
export async function waitForPort(port: number, timeoutMs = 15_000): Promise<void> {
  await until(
    `port ${port}`,
    () =>
      new Promise<boolean>((resolve) => {
        const socket = net.connect(port, '127.0.0.1', () => {
          socket.destroy();
          resolve(true);
        });
        socket.once('error', () => resolve(false));
      }),
    timeoutMs,
  );
}

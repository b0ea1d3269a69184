import { readFileSync, readdirSync } from 'node:fs';

const ticksPerSecond = 100;
const pageBytes = 4096;

/** The fields of /proc/<pid>/stat after the command name (which may contain spaces). */
function statFields(pid: number): string[] {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ');
}

/** The direct children of `pid` (from /proc/<pid>/task/<tid>/children). */
export function childPids(pid: number): number[] {
  try {
    return readdirSync(`/proc/${pid}/task`).flatMap((tid) =>
      readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number),
    );
  } catch {
    return [];
  }
}

/** `pids` and all their descendants that are alive now. */
export function processTree(pids: readonly number[]): number[] {
  const all: number[] = [];
  for (let queue = [...pids]; queue.length > 0;) {
    const pid = queue.shift()!;
    all.push(pid);
    queue = [...queue, ...childPids(pid)];
  }
  return all;
}

/**
 * CPU seconds (user + system, all threads) used so far by the processes `pids` and their
 * descendants, from /proc. Sampled before and after a run, it gives the server's own CPU time.
 */
export function cpuSecondsOf(pids: readonly number[]): number {
  let ticks = 0;
  for (const pid of processTree(pids)) {
    const fields = statFields(pid);
    ticks += Number(fields[11]) + Number(fields[12]);
  }
  return ticks / ticksPerSecond;
}

/** Resident memory (bytes) of the processes `pids` and their descendants, from /proc. */
export function rssBytesOf(pids: readonly number[]): number {
  return processTree(pids).reduce((sum, pid) => sum + Number(statFields(pid)[21]) * pageBytes, 0);
}

/** Polls `probe` every 50 ms until it holds; throws after `timeoutMs`. */
export async function until(what: string, probe: () => boolean | Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  for (const deadline = Date.now() + timeoutMs; ;) {
    if (await Promise.resolve(probe()).catch(() => false)) return;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

import { readFileSync } from 'node:fs';

const ticksPerSecond = 100;

/**
 * CPU seconds (user + system, all threads) used so far by the processes `pids`, from
 * /proc/<pid>/stat. Sampled before and after a run, it gives the server's own CPU time.
 */
export function cpuSecondsOf(pids: readonly number[]): number {
  let ticks = 0;
  for (const pid of pids) {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name (which may contain spaces) start after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    ticks += Number(fields[11]) + Number(fields[12]);
  }
  return ticks / ticksPerSecond;
}

import { execFileSync } from 'node:child_process';

/** Runs openssl with `args` (stdin `input`), returning stdout; throws with stderr on failure. */
export function openssl(args: readonly string[], input?: string): string {
  return execFileSync('openssl', args, { input, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'] });
}

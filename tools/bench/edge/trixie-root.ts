import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';

/** Where the Debian 13 root for nginx 1.26 is kept between runs (outside the repository). */
export const trixieRoot = process.env['PORTCULLIS_BENCH_TRIXIE_ROOT'] ?? '/var/cache/portcullis-bench/trixie';

/**
 * The Debian 13 (trixie) root holding nginx 1.26 and OpenSSL 3.5: built once with debootstrap
 * (minbase, nginx-light, openssl) if missing, which downloads from Debian's mirror and takes
 * a minute or two; later runs reuse it.
 */
export function ensureTrixieRoot(root = trixieRoot): string {
  if (existsSync(path.join(root, 'usr/sbin/nginx'))) return root;
  console.log(`building the Debian 13 root for nginx 1.26 once, into ${root} (debootstrap; needs the debootstrap package)`);
  const partial = `${root}.partial`;
  rmSync(partial, { recursive: true, force: true });
  mkdirSync(path.dirname(root), { recursive: true });
  execFileSync('debootstrap', ['--variant=minbase', '--include=nginx-light,openssl', 'trixie', partial], { stdio: 'inherit' });
  renameSync(partial, root);
  return root;
}

import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync, realpathSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** How to make a stand-in for a public image out of this machine's own binaries. */
export interface StandInRecipe {
  /** Executables to copy: host path → path inside the image. Their shared libraries follow. */
  readonly binaries: Readonly<Record<string, string>>;
  /** Empty directories the image needs (e.g. a data directory). */
  readonly directories: readonly string[];
  /** Dockerfile-style instructions applied by `docker import --change`. */
  readonly changes: readonly string[];
}

/**
 * Builds an image named `name` from host binaries and the libraries `ldd` lists for them,
 * and imports it with `docker import`. Used where the public registry cannot be reached;
 * the image carries the label `org.portcullis.stand-in=true` so nobody mistakes it for the
 * public one.
 */
export function buildStandInImage(name: string, recipe: StandInRecipe): void {
  const rootfs = mkdtempSync(path.join(os.tmpdir(), 'portcullis-rootfs-'));
  try {
    const libraries = new Set<string>();
    for (const [hostPath, imagePath] of Object.entries(recipe.binaries)) {
      copyInto(rootfs, hostPath, imagePath);
      for (const lib of sharedLibraries(hostPath)) libraries.add(lib);
    }
    for (const lib of libraries) copyInto(rootfs, lib, lib);
    for (const dir of ['tmp', ...recipe.directories]) mkdirSync(path.join(rootfs, dir), { recursive: true });
    chmodSync(path.join(rootfs, 'tmp'), 0o1777);
    mkdirSync(path.join(rootfs, 'etc'), { recursive: true });
    writeFileSync(
      path.join(rootfs, 'etc/passwd'),
      'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n',
    );
    writeFileSync(path.join(rootfs, 'etc/group'), 'root:x:0:\nnogroup:x:65534:\n');

    const tar = spawnSync('tar', ['-C', rootfs, '-c', '.'], { maxBuffer: 2 ** 31 });
    if (tar.status !== 0) throw new Error(`tar of ${rootfs} failed: ${tar.stderr.toString()}`);
    const changes = ['LABEL org.portcullis.stand-in=true', ...recipe.changes].flatMap((c) => ['--change', c]);
    execFileSync('docker', ['import', ...changes, '-', name], { input: tar.stdout, stdio: ['pipe', 'ignore', 'inherit'] });
  } finally {
    rmSync(rootfs, { recursive: true, force: true });
  }
}

function copyInto(rootfs: string, hostPath: string, imagePath: string): void {
  const target = path.join(rootfs, imagePath);
  mkdirSync(path.dirname(target), { recursive: true });
  copyFileSync(realpathSync(hostPath), target);
  chmodSync(target, 0o755);
}

/** Absolute paths of the shared libraries (and the loader) a host binary needs. */
function sharedLibraries(binary: string): string[] {
  const out = execFileSync('ldd', [binary], { encoding: 'utf8' });
  const libs: string[] = [];
  for (const line of out.split('\n')) {
    const match = /(?:=>\s*)?(\/\S+)\s+\(0x/.exec(line);
    if (match?.[1]) libs.push(match[1]);
  }
  return libs;
}

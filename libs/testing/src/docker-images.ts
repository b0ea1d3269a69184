import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { buildStandInImage, type StandInRecipe } from './stand-in-image.ts';

/**
 * Public images Portcullis runs beside its own, and how to stand them in from this machine's
 * binaries when the public registry cannot be reached. The stand-ins take the same names and
 * the same command lines (`redis-server --port …`, `node main.js`), so compose files,
 * Dockerfiles and Testcontainers code are the same in both cases.
 */
const recipes: Readonly<Record<string, () => StandInRecipe>> = {
  'redis:7': () => ({
    binaries: { [requireHostBinary('/usr/bin/redis-server', 'redis-server')]: '/usr/local/bin/redis-server' },
    directories: ['data'],
    changes: ['WORKDIR /data', 'ENV PATH=/usr/local/bin:/usr/bin:/bin', 'CMD ["redis-server"]'],
  }),
  'node:24-bookworm-slim': () => {
    if (!process.versions.node.startsWith('24.')) {
      throw new Error(`the node:24 stand-in is made from the running Node, which is ${process.version}; run through npm`);
    }
    return {
      binaries: { [process.execPath]: '/usr/local/bin/node' },
      directories: ['app'],
      changes: ['WORKDIR /app', 'ENV PATH=/usr/local/bin:/usr/bin:/bin', 'CMD ["node"]'],
    };
  },
};

/** The public images that have a stand-in recipe. */
export const standInImages: readonly string[] = Object.keys(recipes);

/**
 * Makes sure `image` is present in the local Docker engine: already there, else pulled from
 * its registry, else (for the images in `standInImages`) built from this machine's binaries.
 * Returns how it was obtained. Throws when none of these works, saying why.
 */
export function ensureImage(image: string, options: { pullTimeoutMs?: number } = {}): 'present' | 'pulled' | 'stand-in' {
  if (docker(['image', 'inspect', '--format', '{{.Id}}', image]).status === 0) return 'present';
  const pull = docker(['pull', '--quiet', image], options.pullTimeoutMs ?? 60_000);
  if (pull.status === 0) return 'pulled';
  const recipe = recipes[image];
  if (!recipe) {
    throw new Error(`cannot pull ${image} (${pull.stderr.trim() || 'timed out'}) and there is no stand-in recipe for it`);
  }
  buildStandInImage(image, recipe());
  return 'stand-in';
}

function docker(args: string[], timeout = 30_000) {
  const run = spawnSync('docker', args, { encoding: 'utf8', timeout });
  if (run.error && (run.error as NodeJS.ErrnoException).code === 'ENOENT') {
    throw new Error('the docker CLI is not installed (Debian: apt-get install docker.io)');
  }
  return run;
}

function requireHostBinary(hostPath: string, debianPackage: string): string {
  if (!existsSync(hostPath)) {
    throw new Error(`${hostPath} is needed for a stand-in image; install it (apt-get install ${debianPackage})`);
  }
  return hostPath;
}

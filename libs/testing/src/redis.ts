import { GenericContainer, Wait, type StartedTestContainer } from 'testcontainers';
import { ensureImage } from './docker-images.ts';
import { freePort } from './free-port.ts';
import { useHostNetworkDefaults } from './testcontainers-env.ts';

/** A Redis server in a container, for integration tests. */
export interface TestRedis {
  /** `redis://127.0.0.1:<port>` */
  readonly url: string;
  readonly port: number;
  /** Restarts the container in place; data survives when `appendOnly` was set. */
  restart(): Promise<void>;
  /** Stops and removes the container. */
  stop(): Promise<void>;
}

export interface StartRedisOptions {
  /**
   * Persist every write to the append-only file before answering (`appendfsync always`),
   * the setting under which an acknowledged write survives a crash. Default true.
   */
  appendOnly?: boolean;
}

/**
 * Starts `redis:7` through Testcontainers: the public image where the registry answers,
 * otherwise a stand-in built from this machine's redis-server (see `ensureImage`). The
 * container uses the host network and listens on a free loopback port, since this
 * workplace allows no Docker networks; Ryuk is off unless the caller turned it on.
 */
export async function startRedis(options: StartRedisOptions = {}): Promise<TestRedis> {
  useHostNetworkDefaults();
  ensureImage('redis:7');
  const port = await freePort();
  const persistence =
    options.appendOnly === false ? ['--appendonly', 'no', '--save', ''] : ['--appendonly', 'yes', '--appendfsync', 'always', '--save', ''];
  const container: StartedTestContainer = await new GenericContainer('redis:7')
    .withNetworkMode('host')
    .withCommand(['redis-server', '--bind', '127.0.0.1', '--port', String(port), '--dir', '/data', ...persistence])
    .withWaitStrategy(Wait.forLogMessage(/Ready to accept connections/))
    .withStartupTimeout(60_000)
    .start();
  return {
    url: `redis://127.0.0.1:${port}`,
    port,
    async restart() {
      await container.restart();
    },
    async stop() {
      await container.stop({ remove: true });
    },
  };
}

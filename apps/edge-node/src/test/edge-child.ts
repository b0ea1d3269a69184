import { createTestWorld, startTestEdge } from './edge-harness.ts';
import type { TestCertificate } from './test-pki.ts';

/**
 * A test edge in a process of its own, for tests that measure the edge from outside (its open
 * file descriptors, its memory) while they hold hundreds of sockets: the usual test world with
 * serving limits from argv[2] (JSON). Talks over the IPC channel (run with `--expose-gc`):
 * sends `EdgeChildInfo` once listening; answers `'memory'` with `EdgeChildMemory` measured
 * after a full collection; stops when the channel closes.
 */
export interface EdgeChildInfo {
  readonly port: number;
  readonly serverCaFile: string;
  readonly alice: TestCertificate;
}

export interface EdgeChildMemory {
  readonly heapUsed: number;
  readonly rss: number;
}

const world = await createTestWorld();
const edge = await startTestEdge(world.server, { servingLimits: JSON.parse(process.argv[2] ?? '{}') as Record<string, number> });
const info: EdgeChildInfo = {
  port: edge.edge.httpsPort,
  serverCaFile: world.pki.serverCaFile,
  alice: { certFile: world.alice.certFile, keyFile: world.alice.keyFile, chainPem: world.alice.chainPem, keyPem: world.alice.keyPem },
};
const collect = (globalThis as { gc?: () => void }).gc;
process.on('message', (message) => {
  if (message !== 'memory') return;
  collect?.();
  const { heapUsed, rss } = process.memoryUsage();
  process.send?.({ heapUsed, rss } satisfies EdgeChildMemory);
});
process.on('disconnect', () => {
  void edge
    .stop()
    .then(() => world.remove())
    .finally(() => process.exit(0));
});
process.send?.(info);

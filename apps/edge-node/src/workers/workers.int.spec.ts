import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { silentLogger } from '../edge-logger.ts';
import { startEdgeNode, type EdgeNode } from '../edge-node.ts';
import { createTestWorld, curl, mtlsRule, waitFor, type TestWorld } from '../test/edge-harness.ts';
import { memoryTransport } from '../test/fake-discovery-server.ts';
import { wafResource } from '../test/resources.ts';
import type { WorkerStatus } from './worker-pool.ts';

/**
 * Two worker processes behind an in-process primary fed by the fake discovery server: both
 * serve on one port, a change is ACKed only once both serve it, a killed worker comes back
 * with the current configuration (not ready until then), a hung worker is replaced.
 */
describe('edge workers', () => {
  let world: TestWorld;
  let edge: EdgeNode;
  const stateDir = mkdtempSync(path.join(os.tmpdir(), 'edge-workers-'));

  const status = async () =>
    (await (await fetch(`http://127.0.0.1:${edge.adminPort}/status`)).json()) as { workers: WorkerStatus[]; generation: number };
  const readyz = async () => (await fetch(`http://127.0.0.1:${edge.adminPort}/readyz`)).status;
  /** Polls /status (bounded) until `condition` holds of it. */
  const statusUntil = async (condition: (s: { workers: WorkerStatus[]; generation: number }) => boolean, ms = 10_000) => {
    const deadline = Date.now() + ms;
    for (;;) {
      const current = await status();
      if (condition(current)) return current;
      if (Date.now() > deadline) throw new Error(`/status never matched: ${JSON.stringify(current.workers)}`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  };
  const get = (urlPath: string) => curl(edge.httpsPort, 'www.example.com', urlPath, { cacert: world.pki.serverCaFile });
  const blockRule = (urlPath: string) =>
    wafResource('s1', [
      { id: 'require-mtls', expression: mtlsRule, status: 403 },
      { id: 'blocked-path', expression: `http.request.uri.path eq "${urlPath}"`, status: 403 },
    ]);

  beforeAll(async () => {
    world = await createTestWorld();
    edge = await startEdgeNode({
      nodeId: 'edge-workers',
      httpsHost: '127.0.0.1',
      httpsPort: 0,
      adminHost: '127.0.0.1',
      adminPort: 0,
      stateDir,
      transport: memoryTransport(world.server),
      log: silentLogger,
      backoff: { initialMs: 20, maxMs: 200 },
      workers: 2,
      swapTimeoutMs: 1_000,
      workerLogging: { logLevel: 'silent', accessLog: { mode: 'off', sampleEvery: 1 } },
      workerEntry: { module: path.join(import.meta.dirname, 'worker-main.ts'), args: [], execArgv: [] },
    });
    await statusUntil((s) => s.generation !== undefined && s.workers.every((w) => w.listening && w.generation === s.generation));
  }, 30_000);
  afterAll(async () => {
    await edge?.close();
    world?.server.close();
    await world?.remove();
    rmSync(stateDir, { recursive: true, force: true });
  });

  it('serves from both workers on one port: distinct pids, each with requests counted in /status', async () => {
    const first = await status();
    expect(first.workers).toHaveLength(2);
    expect(new Set(first.workers.map((w) => w.pid)).size).toBe(2);
    expect(first.workers.every((w) => w.pid !== process.pid)).toBe(true);
    const before = first.workers.map((w) => w.requestsServed);
    // The kernel spreads connections by a hash of their addresses: both workers get some of
    // them within a few dozen connections (each curl is a new connection).
    for (let i = 0; i < 60; i++) {
      expect((await get(`/both-${i}`)).status).toBe(200);
      const now = await status();
      if (now.workers.every((w, index) => w.requestsServed > before[index]!)) return;
    }
    const last = await statusUntil(() => true);
    throw new Error(`one worker served nothing: ${JSON.stringify(last.workers)}`);
  }, 60_000);

  it('ACKs a change only once both workers report its generation', async () => {
    const acks = world.server.answersOf('waf').length;
    let atAnswer: { generation: number | undefined; workers: (number | undefined)[] } | undefined;
    const answered = world.server.until(() => {
      if (world.server.answersOf('waf').length === acks) return false;
      atAnswer ??= { generation: edge.store.current?.generation, workers: edge.workers().map((w) => w.generation) };
      return true;
    });
    await world.server.push(blockRule('/blocked-a'));
    await answered;
    const answer = world.server.answersOf('waf').at(-1)!;
    expect(answer.errorDetail).toBeUndefined();
    expect(atAnswer!.workers).toEqual([atAnswer!.generation, atAnswer!.generation]);
    for (let i = 0; i < 4; i++) expect((await get('/blocked-a')).status).toBe(403);
  }, 30_000);

  it('restarts a worker killed with SIGKILL; /readyz is 503 until it serves the current configuration', async () => {
    await world.server.push(blockRule('/blocked-b'));
    const generation = edge.store.current!.generation;
    await statusUntil((s) => s.workers.every((w) => w.generation === generation));
    const victim = edge.workers()[1]!;
    process.kill(victim.pid!, 'SIGKILL');
    await waitFor(() => edge.workers()[1]!.pid !== victim.pid, 5_000);
    expect(edge.workers()[1]!.pid).toBeUndefined();
    expect(await readyz()).toBe(503);
    const back = await statusUntil((s) => s.workers[1]!.pid !== undefined && s.workers[1]!.listening);
    expect(back.workers[1]!.generation).toBe(generation);
    expect(back.workers[1]!.restarts).toBe(1);
    expect(await readyz()).toBe(200);
    // The replacement answers with the current rules: requests until it has served some.
    for (let i = 0; i < 60; i++) {
      expect((await get('/blocked-b')).status).toBe(403);
      if ((await status()).workers[1]!.requestsServed > 0) return;
    }
    throw new Error('the restarted worker served nothing');
  }, 60_000);

  it('replaces a worker that does not swap in time (SIGSTOP) and ACKs once its replacement serves the change', async () => {
    const stopped = edge.workers()[0]!;
    process.kill(stopped.pid!, 'SIGSTOP');
    const acks = world.server.answersOf('waf').length;
    let atAnswer: WorkerStatus[] | undefined;
    const answered = world.server.until(() => {
      if (world.server.answersOf('waf').length === acks) return false;
      atAnswer ??= edge.workers();
      return true;
    });
    try {
      await world.server.push(blockRule('/blocked-c'));
      await answered;
    } finally {
      if (edge.workers()[0]!.pid === stopped.pid) process.kill(stopped.pid!, 'SIGCONT');
    }
    const generation = edge.store.current!.generation;
    expect(world.server.answersOf('waf').at(-1)!.errorDetail).toBeUndefined();
    expect(atAnswer!.map((w) => w.generation)).toEqual([generation, generation]);
    expect(atAnswer![0]!.pid).not.toBe(stopped.pid);
    expect(atAnswer![0]!.restarts).toBe(stopped.restarts + 1);
  }, 30_000);
});

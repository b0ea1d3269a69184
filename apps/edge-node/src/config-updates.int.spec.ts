import https from 'node:https';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestWorld, curl, startOrigin, startTestEdge, waitFor, type TestOrigin, type TestWorld } from './test/edge-harness.ts';
import { credentialResource, siteResource, trustResource, wafResource } from './test/resources.ts';

async function fetchText(port: number, path: string): Promise<{ status: number; body: string }> {
  const response = await fetch(`http://127.0.0.1:${port}${path}`);
  return { status: response.status, body: await response.text() };
}

/** Configuration changes while an edge serves: atomic swaps, NACKs, last-known-good. */
describe('edge configuration updates', () => {
  let world: TestWorld;
  let originB: TestOrigin;
  let originC: TestOrigin;

  beforeAll(async () => {
    world = await createTestWorld();
    [originB, originC] = await Promise.all([startOrigin('origin-b'), startOrigin('origin-c')]);
    const netCert = await world.pki.serverCertificate(['example.net']);
    await world.server.push(
      siteResource('s2', 'example.net', originB.url),
      credentialResource('c2', 's2', ['example.net'], netCert),
      trustResource('s2', {}, {}),
      wafResource('s2', []),
    );
  });
  afterAll(async () => {
    await Promise.all([originB?.close(), originC?.close()]);
    await world?.remove();
  });

  it('swaps a response of several resources atomically while requests are in flight on kept-alive connections', async () => {
    const edge = await startTestEdge(world.server);
    const agent = new https.Agent({ keepAlive: true, maxSockets: 4, ca: world.pki.serverCaPem });
    const get = (host: string) =>
      new Promise<string>((resolve, reject) => {
        const req = https.get(
          { host: '127.0.0.1', port: edge.edge.httpsPort, servername: host, path: '/', agent, headers: { host } },
          (res) => {
            let body = '';
            res.on('data', (chunk) => (body += chunk));
            res.on('end', () => resolve(`${res.statusCode} ${body.split(' ')[0]}`));
          },
        );
        req.on('error', reject);
      });
    try {
      const sequence: string[] = [];
      let swapped = false;
      const deadline = Date.now() + 8_000;
      // A sequential client alternating between the two sites, and three concurrent ones.
      const sequential = (async () => {
        for (let i = 0; i < 400 && Date.now() < deadline && !(swapped && sequence.length > 0 && i > 60); i++) {
          sequence.push(await get(i % 2 === 0 ? 'www.example.com' : 'example.net'));
        }
      })();
      const background = Promise.all(
        [0, 1, 2].map(async () => {
          const results: string[] = [];
          for (let i = 0; i < 100 && Date.now() < deadline; i++) results.push(await get('www.example.com'));
          return results;
        }),
      );
      await waitFor(() => sequence.length >= 20, 5_000);
      await world.server.push(siteResource('s1', 'example.com', originC.url), siteResource('s2', 'example.net', originC.url));
      swapped = true;
      await sequential;
      const others = (await background).flat();
      expect([...sequence, ...others].every((r) => r.startsWith('200 '))).toBe(true);
      const firstNew = sequence.indexOf('200 origin-c');
      expect(firstNew).toBeGreaterThan(0);
      // Once any request saw the new configuration, no later one saw the old, on either site.
      expect(sequence.slice(firstNew).every((r) => r === '200 origin-c')).toBe(true);
      expect(new Set(sequence.slice(0, firstNew))).toEqual(new Set(['200 origin-a', '200 origin-b']));
    } finally {
      agent.destroy();
      await world.server.push(world.resources.site, siteResource('s2', 'example.net', originB.url));
      await edge.stop();
    }
  });

  it('NACKs an invalid ruleset or credential and keeps serving the last good one', async () => {
    const edge = await startTestEdge(world.server);
    const get = (host: string, cert?: typeof world.alice) =>
      curl(edge.edge.httpsPort, host, '/', { cacert: world.pki.serverCaFile, ...(cert ? { cert } : {}) });
    try {
      await world.server.push(wafResource('s1', [{ id: 'broken', expression: 'http.host eq' }]));
      const nack = world.server.answersOf('waf').at(-1)!;
      expect(nack.errorDetail).toMatchObject({ code: 'Resource.Invalid', resourceNames: ['waf/s1'] });
      expect(nack.errorDetail!.message).toContain('broken');
      expect((await get('api.example.com')).status).toBe(403);
      expect((await get('api.example.com', world.alice)).status).toBe(200);

      const otherKey = await world.pki.serverCertificate(['example.com', '*.example.com']);
      await world.server.push(
        credentialResource('c1', 's1', ['example.com', '*.example.com'], { chainPem: world.serverCert.chainPem, keyPem: otherKey.keyPem }),
      );
      expect(world.server.answersOf('credential').at(-1)!.errorDetail?.resourceNames).toEqual(['credential/c1']);
      expect((await get('www.example.com')).status).toBe(200);

      const status = await fetchText(edge.edge.adminPort, '/status');
      const parsed = JSON.parse(status.body);
      expect(parsed.streams.find((s: { type: string }) => s.type === 'credential').lastNack).toMatchObject({
        resourceNames: ['credential/c1'],
      });
      expect(parsed.resources.waf.versions['waf/s1']).toBe(world.resources.waf.resource.version);
    } finally {
      await world.server.push(world.resources.waf, world.resources.credential);
      await edge.stop();
    }
  });

  it('serves from last-known-good after a restart while the control plane is down, then catches up', async () => {
    const first = await startTestEdge(world.server);
    const stateDir = first.stateDir;
    await first.edge.flushLastKnownGood();
    await first.edge.close();

    const restarted = await startTestEdge(world.server, { stateDir, controlPlaneUp: false });
    try {
      const port = restarted.edge.httpsPort;
      expect((await curl(port, 'api.example.com', '/', { cacert: world.pki.serverCaFile })).status).toBe(403);
      expect((await curl(port, 'api.example.com', '/', { cacert: world.pki.serverCaFile, cert: world.alice })).status).toBe(200);
      expect(await fetchText(restarted.edge.adminPort, '/readyz')).toEqual({ status: 200, body: '{"ready":true}\n' });
      const down = JSON.parse((await fetchText(restarted.edge.adminPort, '/status')).body);
      expect(down).toMatchObject({ nodeId: 'edge-test', ready: true, loadedFrom: 'last-known-good', connected: false });

      await world.server.push(wafResource('s1', [{ id: 'everything', expression: 'ssl' }]));
      const answered = world.server.answersOf('waf').length;
      restarted.transport!.available = true;
      await world.server.until(() => world.server.answersOf('waf').length > answered);
      await world.server.until(() => world.server.connected() === 5);
      const siteRequest = world.server.firstRequests.findLast((r) => r.typeUrl === 'portcullis.edge.v1.Site')!;
      expect(siteRequest.initialResourceVersions).toEqual(restarted.edge.store.versions('site'));
      expect(Object.keys(siteRequest.initialResourceVersions)).toHaveLength(2);
      await waitFor(() => restarted.edge.status().connected, 5_000);
      expect((await curl(port, 'www.example.com', '/', { cacert: world.pki.serverCaFile })).status).toBe(403);
    } finally {
      await world.server.push(world.resources.waf);
      await restarted.stop();
    }
  });

  it('answers /readyz 503 until a fresh edge has its whole configuration, and /healthz 200 all along', async () => {
    const edge = await startTestEdge(world.server, { controlPlaneUp: false });
    try {
      const waiting = await fetchText(edge.edge.adminPort, '/readyz');
      expect(waiting.status).toBe(503);
      expect(JSON.parse(waiting.body)).toMatchObject({ ready: false, status: 'waiting-for-control-plane', reason: expect.any(String) });
      expect(await fetchText(edge.edge.adminPort, '/healthz')).toEqual({ status: 200, body: 'ok\n' });
      expect((await curl(edge.edge.httpsPort, 'www.example.com', '/', { cacert: world.pki.serverCaFile })).status).toBe(0);
      edge.transport!.available = true;
      await waitFor(() => edge.edge.store.current !== undefined, 5_000);
      expect((await fetchText(edge.edge.adminPort, '/readyz')).status).toBe(200);
      expect((await fetchText(edge.edge.adminPort, '/healthz')).status).toBe(200);
      const status = JSON.parse((await fetchText(edge.edge.adminPort, '/status')).body);
      expect(status).toMatchObject({ loadedFrom: 'control-plane', ready: true });
      expect(status.resources.site.count).toBe(2);
    } finally {
      await edge.stop();
    }
  });
});

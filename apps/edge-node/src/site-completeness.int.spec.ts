import https from 'node:https';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestWorld, curl, startTestEdge, type TestWorld } from './test/edge-harness.ts';
import { credentialResource, revocationsResource, siteResource, trustResource, wafResource } from './test/resources.ts';
import type { TestCertificate } from './test/test-pki.ts';

/**
 * A real edge (TLS front, request handler) fed by the fake discovery server, with curl and a
 * Node keep-alive client: a site is served only with everything it depends on
 * (docs/edge-protocol.md, completeness), whatever order its resources arrive in.
 */
describe('edge serving incomplete sites', () => {
  let world: TestWorld;
  let edge: Awaited<ReturnType<typeof startTestEdge>>;

  beforeAll(async () => {
    world = await createTestWorld();
    edge = await startTestEdge(world.server);
  });
  afterAll(async () => {
    await edge?.stop();
    await world?.remove();
  });

  const get = (host: string, cert?: TestCertificate) =>
    curl(edge.edge.httpsPort, host, '/', { cacert: world.pki.serverCaFile, ...(cert ? { cert } : {}) });
  const statusOf = async (host: string, cert?: TestCertificate) => (await get(host, cert)).status;

  it('refuses the mTLS names of a site whose trust bundle names a CA before its revocation set arrives, then serves them', async () => {
    const lateCa = await world.pki.clientCa('Late CA');
    const carol = await world.pki.clientCertificate(lateCa, 'carol');
    expect(await statusOf('api.example.com', world.alice)).toBe(200);
    try {
      await world.server.push(
        trustResource(
          's1',
          { acct_1: world.accountCa.certificatePem, ca_custom: world.customCa.certificatePem, ca_late: lateCa.certificatePem },
          { 'api.example.com': ['acct_1'], 'custom.example.com': ['ca_custom'], 'late.example.com': ['ca_late'] },
        ),
      );
      // No handshake on the site's mTLS names: not with the new CA's certificate, not without one.
      expect(await statusOf('late.example.com', carol)).toBe(0);
      expect(await statusOf('late.example.com')).toBe(0);
      expect(await statusOf('api.example.com')).toBe(0);
      expect(await statusOf('api.example.com', world.alice)).toBe(0);
      // Plain names read no certificate: served.
      expect(await statusOf('www.example.com')).toBe(200);
      expect(edge.edge.store.readiness).toMatchObject({
        ready: false,
        serving: true,
        status: 'sites-incomplete',
        incompleteSites: [{ siteId: 's1', missing: ['revocations/ca_late'], refuses: 'mtls' }],
      });

      await world.server.push(revocationsResource('ca_late', []));
      expect(await statusOf('late.example.com', carol)).toBe(200);
      expect(await statusOf('api.example.com')).toBe(403);
      expect(edge.edge.store.readiness.ready).toBe(true);
    } finally {
      await world.server.push(world.resources.trust);
      await world.server.remove('revocations', 'revocations/ca_late');
    }
  });

  it('serves nothing of a new site whose first ruleset is refused (not "no rules"), until a good one arrives', async () => {
    const orgCert = await world.pki.serverCertificate(['example.org', '*.example.org']);
    try {
      await world.server.push(
        siteResource('s3', 'example.org', world.origin.url),
        credentialResource('c3', 's3', ['example.org', '*.example.org'], orgCert),
        trustResource('s3', {}, {}),
      );
      expect(await statusOf('www.example.org')).toBe(0);
      await world.server.push(wafResource('s3', [{ id: 'broken', expression: 'http.host eq' }]));
      expect(world.server.answersOf('waf').at(-1)!.errorDetail?.resourceNames).toEqual(['waf/s3']);
      expect(await statusOf('www.example.org')).toBe(0);
      expect(edge.edge.store.readiness.incompleteSites).toEqual([
        { siteId: 's3', zone: 'example.org', missing: ['waf/s3'], refuses: 'all' },
      ]);

      await world.server.push(wafResource('s3', [{ id: 'block-admin', expression: 'http.request.uri.path eq "/admin"' }]));
      expect(await statusOf('www.example.org')).toBe(200);
      expect((await curl(edge.edge.httpsPort, 'www.example.org', '/admin', { cacert: world.pki.serverCaFile })).status).toBe(403);
    } finally {
      await world.server.remove('site', 'site/s3');
      await world.server.remove('credential', 'credential/c3');
      await world.server.remove('trust', 'trust/s3');
      await world.server.remove('waf', 'waf/s3');
    }
  });

  it('answers no request for an mTLS name whose revocation set was removed, on a kept-alive connection either', async () => {
    const agent = new https.Agent({
      keepAlive: true,
      maxSockets: 1,
      ca: world.pki.serverCaPem,
      cert: world.alice.chainPem,
      key: world.alice.keyPem,
      servername: 'api.example.com',
    });
    const request = () =>
      new Promise<{ status: number; reused: boolean }>((resolve, reject) => {
        const req = https.get(
          { host: '127.0.0.1', port: edge.edge.httpsPort, path: '/', agent, headers: { host: 'api.example.com' } },
          (res) => {
            res.resume();
            res.on('end', () => resolve({ status: res.statusCode!, reused: req.reusedSocket }));
          },
        );
        req.on('error', reject);
      });
    const seen = world.origin.seen.length;
    try {
      expect(await request()).toEqual({ status: 200, reused: false });
      await world.server.remove('revocations', 'revocations/acct_1');
      expect(await request()).toEqual({ status: 421, reused: true });
      expect(world.origin.seen.length).toBe(seen + 1);
      expect(await statusOf('api.example.com', world.alice)).toBe(0);
      expect(await statusOf('custom.example.com', world.bob)).toBe(0);
    } finally {
      agent.destroy();
      await world.server.push(world.resources.accountRevocations);
    }
    expect(await statusOf('api.example.com', world.alice)).toBe(200);
  });
});

import { X509Certificate } from 'node:crypto';
import http from 'node:http';
import https from 'node:https';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestWorld, curl, recordingLogger, startOrigin, startTestEdge, type TestWorld } from './test/edge-harness.ts';
import { startNginxOrigin } from './test/nginx-origin.ts';
import { revocationsResource, siteResource, trustResource, wafResource } from './test/resources.ts';

/**
 * Requests through a real edge (TLS front, WAF, proxy) with curl, a Node keep-alive client and
 * real origins (Node and nginx), configuration pushed by the fake discovery server.
 */
describe('edge request path', () => {
  let world: TestWorld;
  let edge: Awaited<ReturnType<typeof startTestEdge>>;
  let port: number;
  const logs = recordingLogger();

  beforeAll(async () => {
    world = await createTestWorld();
    edge = await startTestEdge(world.server, { log: logs.log, originTimeouts: { connectMs: 1_000, idleMs: 600, poolIdleMs: 2_000 } });
    port = edge.edge.httpsPort;
  });
  afterAll(async () => {
    await edge?.stop();
    await world?.remove();
  });

  const get = (host: string, path: string, options: Omit<Parameters<typeof curl>[3], 'cacert'> = {}) =>
    curl(port, host, path, { cacert: world.pki.serverCaFile, ...options });

  it('blocks a request without a certificate on an mTLS hostname with the WAF rule’s 403, before the origin', async () => {
    const before = world.origin.seen.length;
    const result = await get('api.example.com', '/secret?token=abc');
    expect(result.status).toBe(403);
    expect(result.body).toContain('blocked by the security rules');
    expect(result.headers['x-request-id']).toMatch(/^[0-9a-f-]{36}$/);
    expect(result.body).toContain(result.headers['x-request-id']);
    expect(world.origin.seen.length).toBe(before);
    const line = logs.lines.findLast((l) => l['requestId'] === result.headers['x-request-id'])!;
    expect(line).toMatchObject({ host: 'api.example.com', path: '/secret', status: 403, rule: 'require-mtls', cert: 'NONE' });
    expect(JSON.stringify(line)).not.toContain('token=abc');
  });

  it('proxies a request with a valid certificate, with the verified facts and RFC 9440 Client-Cert, client copies stripped', async () => {
    const result = await get('api.example.com', '/hello?x=1', {
      cert: world.alice,
      args: [
        '-H',
        'Client-Cert: :Zm9yZ2Vk:',
        '-H',
        'X-Client-Cert-Verified: SUCCESS',
        '-H',
        'X-Forwarded-Client-Cert: By=x',
        '-H',
        'X-Client-Cert-Serial: 01',
        '-H',
        'X-Forwarded-For: 203.0.113.7',
      ],
    });
    expect(result.status).toBe(200);
    expect(result.body).toBe('origin-a GET /hello?x=1\n');
    const seen = world.origin.seen.at(-1)!.headers;
    const der = new X509Certificate(world.alice.chainPem).raw;
    expect(seen).toMatchObject({
      host: `api.example.com:${port}`,
      'x-client-cert-verified': 'SUCCESS',
      'x-client-cert-serial': world.alice.serial,
      'x-client-cert-fingerprint-sha256': new X509Certificate(world.alice.chainPem).fingerprint256.replaceAll(':', '').toLowerCase(),
      'x-client-cert-subject': 'CN=alice',
      'x-client-cert-issuer': 'CN=Account CA',
      'client-cert': `:${der.toString('base64')}:`,
      'x-forwarded-for': '127.0.0.1',
      'x-forwarded-proto': 'https',
      'x-forwarded-host': `api.example.com:${port}`,
      'x-request-id': result.headers['x-request-id'],
    });
    expect(seen).not.toHaveProperty('x-forwarded-client-cert');
    expect(seen).not.toHaveProperty('client-cert-chain');
    const line = logs.lines.findLast((l) => l['requestId'] === result.headers['x-request-id'])!;
    expect(line).toMatchObject({ status: 200, cert: { serial: world.alice.serial, verify: 'SUCCESS' } });
    expect(typeof line['upstreamMs']).toBe('number');
    expect(JSON.stringify(logs.lines)).not.toContain('BEGIN');
  });

  it('sends RFC 9440 Client-Cert only to sites that ask for it; the other certificate headers always', async () => {
    await world.server.push(siteResource('s1', 'example.com', world.origin.url, false));
    try {
      const result = await get('api.example.com', '/', { cert: world.alice, args: ['-H', 'Client-Cert: :Zm9yZ2Vk:'] });
      expect(result.status).toBe(200);
      const seen = world.origin.seen.at(-1)!.headers;
      expect(seen).not.toHaveProperty('client-cert');
      expect(seen).toMatchObject({ 'x-client-cert-verified': 'SUCCESS', 'x-client-cert-serial': world.alice.serial });
    } finally {
      await world.server.push(siteResource('s1', 'example.com', world.origin.url, true));
    }
    const again = await get('api.example.com', '/', { cert: world.alice });
    expect(world.origin.seen.at(-1)!.headers['client-cert']).toBe(`:${new X509Certificate(world.alice.chainPem).raw.toString('base64')}:`);
    expect(again.status).toBe(200);
  });

  it('streams request bodies to the origin, chunked or not', async () => {
    const body = 'x'.repeat(200_000);
    const file = world.pki.file('upload.txt', body);
    const sized = await get('www.example.com', '/upload', { args: ['--data-binary', `@${file}`, '-H', 'content-type: text/plain'] });
    expect(sized.body).toBe('origin-a POST /upload\n');
    expect(world.origin.seen.at(-1)!).toMatchObject({ method: 'POST', body });
    const chunked = await get('www.example.com', '/chunked', { args: ['--data-binary', 'abc', '-H', 'transfer-encoding: chunked'] });
    expect(chunked.status).toBe(200);
    expect(world.origin.seen.at(-1)!.body).toBe('abc');
  });

  it('accepts a CA only on the hostnames bound to it, and refuses a certificate from an unbound CA', async () => {
    expect((await get('custom.example.com', '/', { cert: world.bob })).status).toBe(200);
    expect((await get('api.example.com', '/', { cert: world.bob })).status).toBe(403);
    expect((await get('custom.example.com', '/', { cert: world.alice })).status).toBe(403);
    const mallory = await get('api.example.com', '/', { cert: world.mallory });
    expect(mallory.status).toBe(403);
    const line = logs.lines.findLast((l) => l['requestId'] === mallory.headers['x-request-id'])!;
    expect(line).toMatchObject({ cert: { serial: world.mallory.serial, verify: 'FAILED:untrusted' } });
  });

  it('serves plain hostnames without asking for a certificate, still stripping client certificate headers', async () => {
    const result = await get('www.example.com', '/', { args: ['-H', 'Client-Cert: :Zm9yZ2Vk:', '-H', 'X-Client-Cert-Verified: SUCCESS'] });
    expect(result.status).toBe(200);
    const seen = world.origin.seen.at(-1)!.headers;
    expect(seen['x-client-cert-verified']).toBe('NONE');
    expect(seen).not.toHaveProperty('client-cert');
  });

  it('answers 421 when Host differs from the SNI and either has mTLS, and routes by Host between plain names', async () => {
    expect((await get('api.example.com', '/', { cert: world.alice, args: ['-H', 'Host: www.example.com'] })).status).toBe(421);
    expect((await get('www.example.com', '/', { args: ['-H', 'Host: api.example.com'] })).status).toBe(421);
    expect((await get('www.example.com', '/', { args: ['-H', 'Host: other.example.com'] })).status).toBe(200);
    expect(world.origin.seen.at(-1)!.headers.host).toBe('other.example.com');
    expect((await get('www.example.com', '/', { args: ['-H', 'Host: example.org'] })).status).toBe(421);
    expect((await get('api.example.com', '/', { cert: world.alice, args: ['-H', 'Host: API.Example.com:443'] })).status).toBe(200);
  });

  it('catches a certificate revoked while its connection is kept alive, on the next request of that connection', async () => {
    const agent = new https.Agent({
      keepAlive: true,
      maxSockets: 1,
      ca: world.pki.serverCaPem,
      cert: world.alice.chainPem,
      key: world.alice.keyPem,
      servername: 'api.example.com',
    });
    const request = () =>
      new Promise<{ status: number; reused: boolean; localPort: number }>((resolve, reject) => {
        const req = https.get({ host: '127.0.0.1', port, path: '/', agent, headers: { host: 'api.example.com' } }, (res) => {
          res.resume();
          res.on('end', () => resolve({ status: res.statusCode!, reused: req.reusedSocket, localPort: req.socket!.localPort! }));
        });
        req.on('error', reject);
      });
    try {
      const first = await request();
      expect(first).toMatchObject({ status: 200, reused: false });
      await world.server.push(revocationsResource('acct_1', [world.alice.serial]));
      const second = await request();
      expect(second).toMatchObject({ status: 403, reused: true, localPort: first.localPort });
      await world.server.push(world.resources.accountRevocations);
      expect(await request()).toMatchObject({ status: 200, reused: true, localPort: first.localPort });
    } finally {
      agent.destroy();
    }
  });

  it('closes a kept-alive connection whose name gained bindings, so the next one is asked for a certificate', async () => {
    const agent = new https.Agent({
      keepAlive: true,
      maxSockets: 1,
      ca: world.pki.serverCaPem,
      cert: world.alice.chainPem,
      key: world.alice.keyPem,
    });
    const request = () =>
      new Promise<{ reused: boolean; verified: unknown; connection: string | undefined }>((resolve, reject) => {
        const req = https.get(
          { host: '127.0.0.1', port, servername: 'www.example.com', path: '/', agent, headers: { host: 'www.example.com' } },
          (res) => {
            res.resume();
            res.on('end', () =>
              resolve({
                reused: req.reusedSocket,
                verified: world.origin.seen.at(-1)!.headers['x-client-cert-verified'],
                connection: res.headers.connection,
              }),
            );
          },
        );
        req.on('error', reject);
      });
    try {
      expect(await request()).toMatchObject({ reused: false, verified: 'NONE' });
      await world.server.push(
        trustResource(
          's1',
          { acct_1: world.accountCa.certificatePem, ca_custom: world.customCa.certificatePem },
          { 'api.example.com': ['acct_1'], 'custom.example.com': ['ca_custom'], 'www.example.com': ['acct_1'] },
        ),
      );
      expect(await request()).toMatchObject({ reused: true, verified: 'NONE', connection: 'close' });
      expect(await request()).toMatchObject({ reused: false, verified: 'SUCCESS' });
    } finally {
      agent.destroy();
      await world.server.push(world.resources.trust);
    }
  });

  it('answers with a rule’s own status and body, and lets allow rules skip the rest', async () => {
    await world.server.push(
      wafResource('s1', [
        { id: 'health', expression: 'http.request.uri.path eq "/healthz"', action: 'allow' },
        {
          id: 'limited',
          expression: 'starts_with(http.request.uri.path, "/limited")',
          status: 429,
          body: '{"error":"slow down"}',
          contentType: 'application/json',
        },
        { id: 'require-mtls', expression: 'http.host eq "api.example.com" and not ssl.client_cert.verified' },
      ]),
    );
    try {
      const limited = await get('www.example.com', '/limited');
      expect(limited).toMatchObject({ status: 429, body: '{"error":"slow down"}' });
      expect(limited.headers['content-type']).toBe('application/json');
      expect((await get('api.example.com', '/healthz')).status).toBe(200);
      expect((await get('api.example.com', '/other')).status).toBe(403);
    } finally {
      await world.server.push(world.resources.waf);
    }
  });

  it('proxies to nginx as the origin, which sees the verified facts', async () => {
    const nginx = await startNginxOrigin(world.pki.dir);
    try {
      await world.server.push(siteResource('s1', 'example.com', nginx.url, true));
      const result = await get('api.example.com', '/', { cert: world.alice });
      expect(result.status).toBe(200);
      const der = new X509Certificate(world.alice.chainPem).raw.toString('base64');
      expect(result.body).toBe(`nginx host=api.example.com verified=SUCCESS serial=${world.alice.serial} proto=https cert=:${der}:\n`);
    } finally {
      await world.server.push(world.resources.site);
      await nginx.stop();
    }
  });

  it('proxies to an https origin verified against its CA', async () => {
    const cert = await world.pki.serverCertificate(['127.0.0.1']);
    const origin = https.createServer({ cert: cert.chainPem, key: cert.keyPem }, (req, res) => res.end(`tls origin ${req.url}\n`));
    await new Promise<void>((resolve) => origin.listen(0, '127.0.0.1', resolve));
    const tlsEdge = await startTestEdge(world.server, { originCaPems: [world.pki.serverCaPem] });
    try {
      const originPort = (origin.address() as { port: number }).port;
      await world.server.push(siteResource('s1', 'example.com', `https://127.0.0.1:${originPort}`));
      const result = await curl(tlsEdge.edge.httpsPort, 'www.example.com', '/x', { cacert: world.pki.serverCaFile });
      expect(result).toMatchObject({ status: 200, body: 'tls origin /x\n' });
      // The first edge does not trust the test CA for origins: the origin is unreachable to it.
      expect((await get('www.example.com', '/x')).status).toBe(502);
    } finally {
      await world.server.push(world.resources.site);
      await tlsEdge.stop();
      origin.closeAllConnections();
      origin.close();
    }
  });

  it('answers 502 when the origin refuses connections and 504 when it does not answer in time', async () => {
    const slow = http.createServer((_req, res) => setTimeout(() => res.end('late'), 2_000));
    await new Promise<void>((resolve) => slow.listen(0, '127.0.0.1', resolve));
    const gone = await startOrigin('gone');
    await gone.close();
    try {
      await world.server.push(siteResource('s1', 'example.com', gone.url));
      const refused = await get('www.example.com', '/');
      expect(refused.status).toBe(502);
      expect(refused.body).toContain('the origin could not be reached');
      await world.server.push(siteResource('s1', 'example.com', `http://127.0.0.1:${(slow.address() as { port: number }).port}`));
      const late = await get('www.example.com', '/');
      expect(late.status).toBe(504);
      expect(late.body).toContain('did not answer in time');
    } finally {
      await world.server.push(world.resources.site);
      slow.closeAllConnections();
      slow.close();
    }
  });
});

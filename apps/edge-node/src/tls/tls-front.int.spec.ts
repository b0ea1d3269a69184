import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { maxClientHelloReads } from './tls-front.ts';
import { clientHelloFor } from '../test/client-hello-bytes.ts';
import { createTestWorld, curl, sClient, startTestEdge, type TestWorld } from '../test/edge-harness.ts';

/**
 * The TLS front with real clients: `openssl s_client -msg` shows whether a CertificateRequest
 * was sent and which CA names it lists; curl and raw sockets for ALPN and refusals.
 */
describe('TLS front', () => {
  let world: TestWorld;
  let edge: Awaited<ReturnType<typeof startTestEdge>>;
  let port: number;

  beforeAll(async () => {
    world = await createTestWorld();
    edge = await startTestEdge(world.server);
    port = edge.edge.httpsPort;
  });
  afterAll(async () => {
    await edge?.stop();
    await world?.remove();
  });

  const handshake = (serverName: string, extra: string[] = []) =>
    sClient(port, ['-servername', serverName, '-msg', '-CAfile', world.pki.serverCaFile, ...extra]);

  it('never sends a CertificateRequest on a hostname without bindings', async () => {
    const output = await handshake('www.example.com');
    expect(output).toContain('Verify return code: 0 (ok)');
    expect(output).not.toContain('CertificateRequest');
    expect(output).toContain('No client certificate CA names sent');
  });

  it('sends one on a bound hostname, listing exactly its CAs', async () => {
    const api = await handshake('api.example.com');
    expect(api).toContain('CertificateRequest');
    const names = (text: string) =>
      /Acceptable client certificate CA names\n([\s\S]*?)\n(?:Requested|Client|Peer|Shared|---)/.exec(text)?.[1];
    expect(names(api)).toBe('CN = Account CA');
    expect(names(await handshake('custom.example.com'))).toBe('CN = Custom CA');
  });

  it('completes the handshake with a certificate from an unbound CA (it becomes a fact, not an abort)', async () => {
    const output = await handshake('api.example.com', ['-cert', world.mallory.certFile, '-key', world.mallory.keyFile]);
    expect(output).toContain('Verify return code: 0 (ok)');
    expect(output).toMatch(/Certificate Verify|CertificateVerify/);
    expect(output).not.toMatch(/<<< .*Alert.*fatal/);
  });

  it('refuses an unknown server name, and a ClientHello without one, with unrecognized_name', async () => {
    expect(await handshake('example.org')).toMatch(/unrecognized name/i);
    expect(await sClient(port, ['-noservername'])).toMatch(/unrecognized name/i);
  });

  it('negotiates http/1.1 only, even for a client that prefers h2', async () => {
    const result = await curl(port, 'www.example.com', '/', { cacert: world.pki.serverCaFile, args: ['--http2', '-v'] });
    expect(result.status).toBe(200);
    expect(result.stderr).toContain('ALPN: server accepted http/1.1');
    const h2only = await sClient(port, ['-servername', 'www.example.com', '-alpn', 'h2']);
    expect(h2only).not.toMatch(/ALPN protocol: h2/);
  });

  it('resumes sessions on plain hostnames but never on mTLS ones', async () => {
    const session = (name: string) => `${world.pki.dir}/${name}.session`;
    const resumed = async (serverName: string, cert: string[]) => {
      // The TLS 1.3 ticket arrives after the handshake: keep the connection open a moment.
      await sClient(port, ['-servername', serverName, '-sess_out', session(serverName), ...cert], '', 300);
      return sClient(port, ['-servername', serverName, '-msg', '-sess_in', session(serverName), ...cert]);
    };
    expect(await resumed('www.example.com', [])).toMatch(/^Reused, TLSv1\.3/m);
    const mtls = await resumed('api.example.com', ['-cert', world.alice.certFile, '-key', world.alice.keyFile]);
    expect(mtls).toMatch(/^New, TLSv1\.3/m);
    expect(mtls).toContain('CertificateRequest');
  });

  it('closes a ClientHello sent in more pieces than clients use, long before its deadline', async () => {
    const hello = await clientHelloFor('www.example.com');
    const started = performance.now();
    const outcome = await new Promise<{ sent: number; closedAfterMs: number }>((resolve) => {
      const socket = net.connect(port, '127.0.0.1');
      socket.setNoDelay(true);
      socket.on('error', () => undefined);
      socket.resume();
      let sent = 0;
      // One byte every 5 ms: the whole ClientHello would take 8 s, the hello deadline is 10 s.
      const timer = setInterval(() => {
        if (sent < hello.length - 1 && !socket.destroyed) socket.write(hello.subarray(sent, ++sent));
      }, 5);
      socket.on('close', () => {
        clearInterval(timer);
        resolve({ sent, closedAfterMs: performance.now() - started });
      });
      setTimeout(() => socket.destroy(), 4_000);
    });
    expect(outcome.sent).toBeGreaterThanOrEqual(maxClientHelloReads);
    expect(outcome.sent).toBeLessThan(hello.length / 2);
    expect(outcome.closedAfterMs).toBeLessThan(3_000);
  });

  it('closes a connection that does not start with a ClientHello', async () => {
    const reply = await new Promise<string>((resolve) => {
      const socket = net.connect(port, '127.0.0.1', () => socket.write('GET / HTTP/1.1\r\nHost: www.example.com\r\n\r\n'));
      let data = '';
      socket.on('data', (chunk) => (data += chunk.toString()));
      socket.on('close', () => resolve(data));
      socket.on('error', () => undefined);
    });
    expect(reply).toBe('');
  });
});

import http from 'node:http';

/**
 * A tiny origin for demos and the compose setup (no nginx image offline): it answers every
 * request with JSON showing what an origin behind the edge learns — the verified certificate
 * headers and the forwarding headers. Started by `node main.mjs demo-origin`; listens on
 * PORTCULLIS_DEMO_ORIGIN_HOST:PORTCULLIS_DEMO_ORIGIN_PORT (default 127.0.0.1:8000).
 */
export async function startDemoOrigin(host: string, port: number, name = 'demo-origin'): Promise<http.Server> {
  const server = http.createServer((req, res) => {
    req.resume();
    const h = req.headers;
    const body = JSON.stringify(
      {
        origin: name,
        method: req.method,
        url: req.url,
        host: h.host,
        clientCert: {
          verified: h['x-client-cert-verified'] ?? null,
          serial: h['x-client-cert-serial'] ?? null,
          subject: h['x-client-cert-subject'] ?? null,
          issuer: h['x-client-cert-issuer'] ?? null,
          fingerprintSha256: h['x-client-cert-fingerprint-sha256'] ?? null,
          rfc9440: h['client-cert'] ? `${String(h['client-cert']).slice(0, 24)}…` : null,
        },
        forwarded: { for: h['x-forwarded-for'] ?? null, proto: h['x-forwarded-proto'] ?? null, host: h['x-forwarded-host'] ?? null },
        requestId: h['x-request-id'] ?? null,
      },
      null,
      2,
    );
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) + 1 });
    res.end(`${body}\n`);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return server;
}

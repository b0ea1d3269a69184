import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { TLSSocket } from 'node:tls';

/**
 * The Node baselines of the edge benchmark: `https` with `requestCert`, refusing an
 * unauthorised client with 403, and either answering 200 itself or, given an origin port,
 * proxying to it with a keep-alive agent and nothing else (no WAF, no header work): the
 * ceiling for a proxy written on Node. Arguments: port, server cert, server key, client CA,
 * [origin port].
 */
const [port, cert, key, ca, originPort] = process.argv.slice(2) as [string, string, string, string, string | undefined];
const agent = new http.Agent({ keepAlive: true, maxSockets: 256 });
const server = https.createServer(
  {
    cert: readFileSync(cert),
    key: readFileSync(key),
    ca: readFileSync(ca),
    requestCert: true,
    rejectUnauthorized: false,
    minVersion: 'TLSv1.3',
  },
  (request, response) => {
    if (!(request.socket as TLSSocket).authorized) {
      response.writeHead(403, { 'content-type': 'text/plain', 'content-length': '10' });
      response.end('forbidden\n');
    } else if (originPort === undefined) {
      response.writeHead(200, { 'content-type': 'text/plain', 'content-length': '3' });
      response.end('ok\n');
    } else {
      const upstream = http.request({
        host: '127.0.0.1',
        port: Number(originPort),
        method: request.method,
        path: request.url,
        headers: request.headers,
        agent,
      });
      upstream.on('response', (answer) => {
        response.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(response);
      });
      upstream.on('error', () => response.destroy());
      upstream.end();
    }
  },
);
server.keepAliveTimeout = 60_000;
server.listen(Number(port), '127.0.0.1', () => console.log('listening'));
process.on('SIGTERM', () => process.exit(0));

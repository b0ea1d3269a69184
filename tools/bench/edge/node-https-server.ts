import { readFileSync } from 'node:fs';
import https from 'node:https';
import type { TLSSocket } from 'node:tls';

/**
 * The Node baseline of the edge benchmark: `https` with `requestCert`, answering 200 to an
 * authorised client and 403 otherwise. Arguments: port, server cert, server key, client CA.
 */
const [port, cert, key, ca] = process.argv.slice(2) as [string, string, string, string];
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
    const authorized = (request.socket as TLSSocket).authorized;
    response.writeHead(authorized ? 200 : 403, { 'content-type': 'text/plain', 'content-length': authorized ? '3' : '10' });
    response.end(authorized ? 'ok\n' : 'forbidden\n');
  },
);
server.keepAliveTimeout = 60_000;
server.listen(Number(port), '127.0.0.1', () => console.log('listening'));
process.on('SIGTERM', () => server.close(() => process.exit(0)));

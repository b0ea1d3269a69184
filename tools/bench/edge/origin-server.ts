import http from 'node:http';

/**
 * The origin behind the proxies of the edge benchmark, kept alive: 200 "ok" to everything,
 * except `/1mb`, which answers 1 MiB of body (the large-response scenario).
 */
const port = Number(process.argv[2]);
const large = Buffer.alloc(1 << 20, 'x');
const server = http.createServer((request, response) => {
  const body = request.url === '/1mb' ? large : 'ok\n';
  response.writeHead(200, { 'content-type': 'text/plain', 'content-length': String(body.length) });
  response.end(body);
});
server.keepAliveTimeout = 120_000;
server.listen(port, '127.0.0.1', () => console.log('listening'));
// Kept-alive connections from a proxy would hold close() open for the keep-alive timeout.
process.on('SIGTERM', () => process.exit(0));

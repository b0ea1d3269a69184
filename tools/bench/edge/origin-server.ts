import http from 'node:http';

/** The origin behind the proxies of the edge benchmark: 200 "ok" to everything, kept alive. */
const port = Number(process.argv[2]);
const server = http.createServer((_request, response) => {
  response.writeHead(200, { 'content-type': 'text/plain', 'content-length': '3' });
  response.end('ok\n');
});
server.keepAliveTimeout = 60_000;
server.listen(port, '127.0.0.1', () => console.log('listening'));
process.on('SIGTERM', () => server.close(() => process.exit(0)));

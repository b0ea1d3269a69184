import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commandTree, isGroup } from './commands/index.ts';
import { runInMemory } from './test/memory-io.ts';

/**
 * The CLI's side of the contract, with a local HTTP server standing in for the control plane so
 * the requests it sends (and does not send) can be counted and odd answers produced.
 */
describe('run', () => {
  const seen: { method: string; url: string; authorization: string | undefined; body: string }[] = [];
  let answer: (res: http.ServerResponse) => void = (res) => res.writeHead(204).end();
  let server: http.Server;
  let env: Record<string, string>;

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        seen.push({ method: req.method!, url: req.url!, authorization: req.headers.authorization, body });
        answer(res);
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    env = {
      PORTCULLIS_URL: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
      PORTCULLIS_API_KEY: 'pk_test',
      PORTCULLIS_PROFILE: '/nonexistent/profile.json',
    };
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it('sends nothing on a usage error (revoke without --confirm, bad values, missing arguments)', async () => {
    seen.length = 0;
    for (const argv of [
      ['certs', 'revoke', '--site', 's', 'cc_1'],
      ['certs', 'create', '--site', 's', '--validity-days', '0'],
      ['certs', 'create', '--site', 's', '--p12'],
      ['certs', 'get', '--site', 's'],
      ['rules', 'create', '--site', 's'],
      ['rules', 'create', '--site', 's', '--expression', 'ssl', '--action', 'log', '--status', '403'],
      ['bindings', 'set', '--site', 's', 'a.test', '--none'],
      ['sites', 'update', 'site_1'],
      ['certs', 'list', '--site', 's', '--page', '501'],
    ]) {
      const result = await runInMemory(argv, env);
      expect(result.code, argv.join(' ')).toBe(2);
      expect(result.stderr, argv.join(' ')).toMatch(/^portcullis: /);
    }
    expect(seen).toEqual([]);
  });

  it('calls exactly the operations each command declares (which the OpenAPI coverage test relies on)', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'portcullis-cli-ops-'));
    const file = path.join(dir, 'input.pem');
    writeFileSync(file, '-----BEGIN X-----\n-----END X-----\n');
    const site = ['--site', 'S'];
    /** One invocation per command, by its words. */
    const samples: Record<string, string[]> = {
      'certs create': [...site],
      'certs list': [...site],
      'certs get': [...site, 'ID'],
      'certs revoke': [...site, 'ID', '--confirm'],
      'certs activate': [...site, 'ID'],
      'certs delete': [...site, 'ID'],
      'bindings set': [...site, '--ca', 'CA', 'a.example.com'],
      'bindings get': [...site],
      'cas upload': [...site, '--cert', file],
      'cas list': [...site],
      'cas get': [...site, 'ID'],
      'cas delete': [...site, 'ID'],
      'cas crl': [...site, 'ID', '--upload', file],
      'cas revoke-serial': [...site, 'ID', '0a'],
      'cas revocations': [...site, 'ID'],
      'cas unrevoke-serial': [...site, 'ID', '0a'],
      'cas account': [],
      'rules create': [...site, '--expression', 'ssl'],
      'rules list': [...site],
      'rules get': [...site, 'ID'],
      'rules update': [...site, 'ID', '--disable'],
      'rules delete': [...site, 'ID'],
      'rules order': [...site, 'A', 'B'],
      'rules test': [...site, '--host', 'a.example.com'],
      'sites create': ['--name', 'a.test', '--origin', 'https://o.test'],
      'sites list': [],
      'sites get': ['ID'],
      'sites update': ['ID', '--origin', 'https://o.test'],
      'sites delete': ['ID'],
      'server-certs upload': [...site, '--cert', file, '--key', file],
      'server-certs list': [...site],
      'server-certs delete': [...site, 'ID'],
      'accounts create': ['--name', 'n'],
      'accounts list': [],
      'accounts get': ['ID'],
      'accounts create-key': ['ID', '--name', 'n'],
      'accounts list-keys': ['ID'],
      'accounts revoke-key': ['ID', 'KEY'],
      'edges list': [],
      'edges get': ['ID'],
      'join-tokens create': [],
      'join-tokens list': [],
      'join-tokens delete': ['ID'],
      'audit list': [],
      login: ['--api-key', 'pk_test', '--profile', path.join(dir, 'profile.json')],
      config: [],
    };
    // Whatever is asked, a 404 in the API's shape: each command sends its first request and stops.
    answer = (res) =>
      res
        .writeHead(404, { 'content-type': 'application/json' })
        .end(JSON.stringify({ code: 'NotFound.Route', message: 'x', requestId: 'r' }));
    const commands = commandTree.flatMap((entry) =>
      isGroup(entry) ? entry.commands.map((c) => ({ words: `${entry.name} ${c.name}`, c })) : [{ words: entry.name, c: entry }],
    );
    try {
      for (const { words, c } of commands) {
        expect(samples, `a sample invocation of ${words}`).toHaveProperty([words]);
        seen.length = 0;
        await runInMemory([...words.split(' '), ...samples[words]!], env);
        const sent = seen.map((r) => `${r.method} ${new URL(r.url, 'http://x').pathname}`);
        expect(sent.length, words).toBe(c.operations.length === 0 ? 0 : 1);
        const patterns = c.operations.map((op) => new RegExp(`^${op.replace(/\{[^}]+\}/g, '[^/]+')}$`));
        for (const request of sent)
          expect(
            patterns.some((re) => re.test(request)),
            `${words} sent ${request}`,
          ).toBe(true);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('sends the bearer key, percent-encodes ids, and shows a 204 as done', async () => {
    seen.length = 0;
    answer = (res) => res.writeHead(204).end();
    const result = await runInMemory(['certs', 'delete', '--site', 'a/b', 'c?d'], env);
    expect(result.code).toBe(0);
    expect(seen).toEqual([
      { method: 'DELETE', url: '/v1/sites/a%2Fb/client-certificates/c%3Fd', authorization: 'Bearer pk_test', body: '' },
    ]);
    expect(result.stderr).toBe('deleted client certificate c?d\n');
  });

  it('revoke --confirm sends the confirmation the API requires', async () => {
    seen.length = 0;
    answer = (res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ id: 'cc_1', status: 'revoked' }));
    const result = await runInMemory(['certs', 'revoke', '--site', 's', 'cc_1', '--confirm'], env);
    expect(result.code).toBe(0);
    expect(seen.map((r) => [r.method, r.url, JSON.parse(r.body)])).toEqual([
      ['POST', '/v1/sites/s/client-certificates/cc_1/revoke', { confirm: true }],
    ]);
  });

  it('an answer that is not the API error body is Response.Unexpected, exit 1', async () => {
    answer = (res) => res.writeHead(502, { 'content-type': 'text/html' }).end('<html>bad gateway</html>');
    const result = await runInMemory(['sites', 'list'], env);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('Response.Unexpected');
    expect(result.stderr).toContain('answered 502');
  });

  it('sends a throttled request again (any method), a GET answered 503 again, other writes never twice', async () => {
    seen.length = 0;
    let refusals = 2;
    answer = (res) => {
      if (refusals-- > 0) {
        return res
          .writeHead(429, { 'content-type': 'application/json', 'retry-after': '0' })
          .end(JSON.stringify({ code: 'Throttling', message: 'slow down', requestId: 'r' }));
      }
      res.writeHead(201, { 'content-type': 'application/json' }).end(JSON.stringify({ id: 'site_1', name: 'a.test' }));
    };
    const created = await runInMemory(['sites', 'create', '--name', 'a.test', '--origin', 'https://o.test', '-o', 'json'], env);
    expect(created.code).toBe(0);
    expect(seen.map((r) => r.method)).toEqual(['POST', 'POST', 'POST']);

    seen.length = 0;
    answer = (res) =>
      res
        .writeHead(503, { 'content-type': 'application/json', 'retry-after': '0' })
        .end(JSON.stringify({ code: 'Store.Unavailable', message: 'The store is away.', requestId: 'r' }));
    const write = await runInMemory(['sites', 'delete', 'site_1'], env);
    expect(write.code).toBe(1);
    expect(write.stderr).toContain('Store.Unavailable');
    expect(seen.map((r) => r.method)).toEqual(['DELETE']);
    seen.length = 0;
    const read = await runInMemory(['sites', 'get', 'site_1'], env);
    expect(read.code).toBe(1);
    expect(seen.map((r) => r.method)).toEqual(['GET', 'GET', 'GET', 'GET']);
  });

  it('fetches every page in order, with progress only when stderr is a terminal', async () => {
    seen.length = 0;
    answer = (res) => {
      const url = new URL(seen.at(-1)!.url, 'http://x');
      const page = Number(url.searchParams.get('pageNumber'));
      const items = page <= 2 ? [{ id: `site_${page}`, name: `s${page}.test` }] : [];
      res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ totalCount: 2, pageNumber: page, pageSize: 1, items }));
    };
    const quiet = await runInMemory(['sites', 'list', '--page-size', '1', '-o', 'json'], env);
    expect(JSON.parse(quiet.stdout)['items'].map((s: { id: string }) => s.id)).toEqual(['site_1', 'site_2']);
    expect(quiet.stderr).toBe('');
    expect(seen.map((r) => r.url)).toEqual(['/v1/sites?pageNumber=1&pageSize=1', '/v1/sites?pageNumber=2&pageSize=1']);
    const loud = await runInMemory(['sites', 'list', '--page-size', '1'], env, { stderrIsTerminal: true });
    expect(loud.stderr).toContain('fetching sites: 1 of 2');
    expect(loud.stderr).toContain('fetching sites: 2 of 2');
    expect(loud.stderr.endsWith('\r\x1b[2K')).toBe(true);
  });

  it('never prints the configured key, not even in errors', async () => {
    answer = (res) =>
      res
        .writeHead(401, { 'content-type': 'application/json' })
        .end(JSON.stringify({ code: 'Auth.InvalidKey', message: 'The API key is not valid or has been revoked.', requestId: 'req_1' }));
    const result = await runInMemory(['config'], env);
    expect(result.stdout).toMatch(/api key from:\s+environment/);
    const refused = await runInMemory(['sites', 'list'], env);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toBe('portcullis: Auth.InvalidKey: The API key is not valid or has been revoked. (request req_1)\n');
    expect(result.stdout + result.stderr + refused.stdout + refused.stderr).not.toContain('pk_test');
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiRoutes } from './support/routes.ts';
import { buildTestApp, type TestApp } from './support/test-app.ts';

describe('OpenAPI document and docs UI', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await buildTestApp();
  });
  afterAll(async () => t?.close());

  it('serves /openapi.json without a key: valid JSON listing every REST route, with bearer security', async () => {
    const answer = await t.app.inject({ method: 'GET', url: '/openapi.json' });
    expect(answer.statusCode).toBe(200);
    expect(answer.headers['content-type']).toMatch(/^application\/json/);
    const doc = JSON.parse(answer.body);
    expect(doc.openapi).toMatch(/^3\./);
    expect(doc.info.title).toBe('Portcullis control plane');
    expect(doc.components.securitySchemes.apiKey).toEqual({ type: 'http', scheme: 'bearer' });
    expect(doc.security).toEqual([{ apiKey: [] }]);

    const documented = Object.entries(doc.paths as Record<string, Record<string, unknown>>)
      .flatMap(([path, operations]) =>
        Object.keys(operations)
          .filter((m) => m !== 'head')
          .map((method) => `${method.toUpperCase()} ${path.replace(/\{(\w+)\}/g, ':$1')}`),
      )
      .sort();
    expect(documented).toEqual(apiRoutes(t.app));

    for (const [path, operations] of Object.entries(
      doc.paths as Record<
        string,
        Record<string, { summary?: string; responses?: Record<string, unknown>; parameters?: { name: string; in: string }[] }>
      >,
    )) {
      for (const [method, operation] of Object.entries(operations)) {
        expect(operation.summary, `${method} ${path}`).toEqual(expect.any(String));
        expect(Object.keys(operation.responses ?? {}), `${method} ${path}`).toEqual(expect.arrayContaining(['401']));
        for (const name of [...path.matchAll(/\{(\w+)\}/g)].map((m) => m[1])) {
          expect(
            operation.parameters?.some((p) => p.in === 'path' && p.name === name),
            `${method} ${path} documents {${name}}`,
          ).toBe(true);
        }
      }
    }
    // The error body is a shared component, and no secret-bearing field is documented in a response.
    expect(JSON.stringify(doc)).not.toMatch(/secretHash|ciphertext|wrappedKey/);
  });

  it('serves the docs UI as HTML at /docs/', async () => {
    const answer = await t.app.inject({ method: 'GET', url: '/docs/' });
    expect(answer.statusCode).toBe(200);
    expect(answer.headers['content-type']).toMatch(/^text\/html/);
    expect(answer.body).toMatch(/<html/i);
    expect(answer.body).toMatch(/swagger/i);
    const redirect = await t.app.inject({ method: 'GET', url: '/docs' });
    expect([200, 302]).toContain(redirect.statusCode);
    const json = await t.app.inject({ method: 'GET', url: '/docs/json' });
    expect(json.statusCode).toBe(200);
    expect(Object.keys(JSON.parse(json.body).paths)).toEqual(
      Object.keys(JSON.parse((await t.app.inject({ method: 'GET', url: '/openapi.json' })).body).paths),
    );
  });

  it('answers /healthz', async () => {
    const answer = await t.app.inject({ method: 'GET', url: '/healthz' });
    expect(answer.statusCode).toBe(200);
    expect(JSON.parse(answer.body)).toEqual({ ok: true });
  });
});

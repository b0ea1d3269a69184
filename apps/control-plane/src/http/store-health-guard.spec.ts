import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { afterEach, describe, expect, it } from 'vitest';
import { localKeyManager } from '../crypto/key-manager.ts';
import { createServices } from '../domain/services.ts';
import { createSqliteStore } from '../store/sqlite-store.ts';
import type { StoreHealth, StoreHealthState } from '../store/store-health.ts';
import type { Store } from '../store/store.ts';
import { StoreUnavailableError } from '../store/store-unavailable-error.ts';
import { buildHttpApp } from './app.ts';
import { storeRetryAfterSeconds } from './store-health-guard.ts';

const adminToken = `adm_${randomBytes(24).toString('base64url')}`;

/** A real store that can be made to fail as an unreachable one does, counting the calls it gets. */
function switchableStore() {
  const inner = createSqliteStore({ path: ':memory:' });
  const control = { down: false, calls: 0 };
  const store = new Proxy(inner, {
    get(target, name: keyof Store) {
      const member = target[name];
      if (typeof member !== 'function' || name === 'close') return member;
      return async (...args: unknown[]) => {
        control.calls++;
        if (control.down) throw new StoreUnavailableError('Redis did not answer: Command timed out');
        return (member as (...a: unknown[]) => Promise<unknown>).apply(target, args);
      };
    },
  });
  return { store, control };
}

function settableHealth(state: StoreHealthState): StoreHealth & { state: StoreHealthState } {
  return { state, onChange: () => () => {}, close: () => {} };
}

describe('the HTTP API when the store is unavailable', () => {
  let app: FastifyInstance | undefined;
  afterEach(async () => {
    await app?.close();
    app = undefined;
  });

  async function build(health?: StoreHealth) {
    const { store, control } = switchableStore();
    const services = createServices({ store, keyManager: localKeyManager([randomBytes(32)]), now: () => new Date() }, { adminToken });
    app = await buildHttpApp({ services, ...(health ? { storeHealth: health } : {}) });
    return { app, control };
  }

  const asAdmin = { authorization: `Bearer ${adminToken}` };

  it('answers 503 Store.Unavailable with Retry-After, never 500, when a store call fails that way (REST and RPC)', async () => {
    const { app, control } = await build();
    const created = await app.inject({ method: 'POST', url: '/v1/accounts', headers: asAdmin, payload: { name: 'Before' } });
    expect(created.statusCode).toBe(201);
    const apiKey = created.json().apiKey.secret as string;
    control.down = true;

    const rest = await app.inject({ method: 'POST', url: '/v1/accounts', headers: asAdmin, payload: { name: 'During' } });
    expect(rest.statusCode).toBe(503);
    expect(rest.headers['retry-after']).toBe(String(storeRetryAfterSeconds));
    expect(rest.json()).toEqual({ code: 'Store.Unavailable', message: expect.any(String), requestId: expect.any(String) });
    expect(rest.body).not.toContain('Command timed out');

    const rpc = await app.inject({
      method: 'GET',
      url: '/?Action=ListClientCertificates&SiteId=x',
      headers: { authorization: `Bearer ${apiKey}` },
    });
    expect(rpc.statusCode).toBe(503);
    expect(rpc.headers['retry-after']).toBe(String(storeRetryAfterSeconds));
    expect(rpc.body).toContain('Store.Unavailable');
  });

  it('refuses store routes at once while the health says unhealthy, and keeps /healthz and the API description up', async () => {
    const health = settableHealth({ healthy: true, revision: 0, confirmedAt: Date.parse('2026-12-04T20:00:00Z') });
    const { app, control } = await build(health);
    health.state = { healthy: false, reason: 'the store did not answer within 2000 ms', since: Date.parse('2026-12-04T20:00:00Z') };
    const callsBefore = control.calls;

    for (const request of [
      { method: 'POST' as const, url: '/v1/accounts', headers: asAdmin, payload: { name: 'During' } },
      { method: 'GET' as const, url: '/v1/accounts/acc_x', headers: asAdmin },
      { method: 'GET' as const, url: '/?Action=ListClientCertificates&SiteId=x', headers: asAdmin },
      { method: 'POST' as const, url: '/v1/edge/enroll', payload: {} },
    ]) {
      const answer = await app.inject(request);
      expect(answer.statusCode, request.url).toBe(503);
      expect(answer.headers['retry-after'], request.url).toBe(String(storeRetryAfterSeconds));
      expect(answer.body, request.url).toContain('Store.Unavailable');
    }
    expect(control.calls).toBe(callsBefore);

    expect((await app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
    expect((await app.inject({ method: 'GET', url: '/openapi.json' })).statusCode).toBe(200);
    // The console's own files load, so it can say the store is away instead of failing to load.
    expect((await app.inject({ method: 'GET', url: '/console/' })).statusCode).toBe(200);
    expect((await app.inject({ method: 'GET', url: '/console/console.css' })).statusCode).toBe(200);
    expect((await app.inject({ method: 'GET', url: '/v1/no-such-route', headers: asAdmin })).statusCode).toBe(404);

    const ready = await app.inject({ method: 'GET', url: '/readyz' });
    expect(ready.statusCode).toBe(503);
    expect(ready.json()).toEqual({ ready: false, reason: 'the store did not answer within 2000 ms', since: '2026-12-04T20:00:00.000Z' });

    health.state = { healthy: true, revision: 4, confirmedAt: Date.parse('2026-12-04T20:01:00Z') };
    const again = await app.inject({ method: 'GET', url: '/readyz' });
    expect(again.statusCode).toBe(200);
    expect(again.json()).toEqual({ ready: true, store: { revision: 4, confirmedAt: '2026-12-04T20:01:00.000Z' } });
    expect((await app.inject({ method: 'POST', url: '/v1/accounts', headers: asAdmin, payload: { name: 'After' } })).statusCode).toBe(201);
  });

  it('says since: null when the store was never confirmed', async () => {
    const { app } = await build(settableHealth({ healthy: false, reason: 'the store has not been probed yet', since: 0 }));
    const ready = await app.inject({ method: 'GET', url: '/readyz' });
    expect(ready.statusCode).toBe(503);
    expect(ready.json()).toEqual({ ready: false, reason: 'the store has not been probed yet', since: null });
  });
});

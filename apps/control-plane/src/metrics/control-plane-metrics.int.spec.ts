import { randomBytes } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import { createCertificateAuthority } from '@portcullis/pki';
import { parsePrometheusText, type PrometheusScrape } from '@portcullis/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localKeyManager } from '../crypto/key-manager.ts';
import { createServices } from '../domain/services.ts';
import { startAdminGrpcServer, type AdminGrpcServer } from '../grpc/admin-server.ts';
import { adminApi, type AdminApi } from '../grpc/test/admin-fixture.ts';
import { buildHttpApp } from '../http/app.ts';
import { createSqliteStore } from '../store/sqlite-store.ts';
import type { StoreHealth, StoreHealthState } from '../store/store-health.ts';
import { timedStore } from '../store/timed-store.ts';
import { createControlPlaneMetrics, type ControlPlaneMetrics } from './control-plane-metrics.ts';

const adminToken = `adm_${randomBytes(24).toString('base64url')}`;
const asAdmin = { authorization: `Bearer ${adminToken}` };

/**
 * The control plane's /metrics over inject(): requests counted by route pattern, issuance and
 * revocation counted once per operation over REST, RPC and gRPC (one services instance
 * behind all three), store latency, and who may read it, during a store outage too.
 */
describe('control plane /metrics', () => {
  let app: FastifyInstance;
  let grpc: AdminGrpcServer;
  let api: AdminApi;
  let metrics: ControlPlaneMetrics;
  const health: StoreHealth & { state: StoreHealthState } = {
    state: { healthy: true, revision: 0, confirmedAt: Date.now() },
    onChange: () => () => {},
    close: () => {},
  };
  let apiKey: string;
  let siteId: string;

  const scrape = async (): Promise<PrometheusScrape> => {
    const response = await app.inject({ method: 'GET', url: '/metrics' });
    expect(response.statusCode).toBe(200);
    return parsePrometheusText(response.body);
  };
  const asAccount = () => ({ authorization: `Bearer ${apiKey}` });

  beforeAll(async () => {
    metrics = createControlPlaneMetrics();
    const store = timedStore(createSqliteStore({ path: ':memory:' }), metrics.storeTimer);
    const services = createServices(
      { store, keyManager: localKeyManager([randomBytes(32)]), now: () => new Date(), metrics: metrics.domain },
      { adminToken },
    );
    metrics.watch({ storeHealth: health });
    app = await buildHttpApp({ services, storeHealth: health, metrics });
    grpc = await startAdminGrpcServer({ services, host: '127.0.0.1', port: 0 });
    api = adminApi(`127.0.0.1:${grpc.port}`);
    const account = await app.inject({ method: 'POST', url: '/v1/accounts', headers: asAdmin, payload: { name: 'Metrics' } });
    expect(account.statusCode).toBe(201);
    apiKey = account.json().apiKey.secret as string;
    const site = await app.inject({
      method: 'POST',
      url: '/v1/sites',
      headers: asAccount(),
      payload: { name: 'metrics.example.com', originUrl: 'https://origin.example.net' },
    });
    expect(site.statusCode).toBe(201);
    siteId = site.json().id as string;
  });
  afterAll(async () => {
    for (const client of Object.values(api ?? {})) client.close();
    await grpc?.close();
    await app?.close();
  });

  it('serves the text format and counts requests by route pattern, method and status', async () => {
    const before = await scrape();
    const route = '/v1/sites/:siteId';
    const labels = (status: string) => ({ method: 'GET', route, status });
    expect((await app.inject({ method: 'GET', url: `/v1/sites/${siteId}`, headers: asAccount() })).statusCode).toBe(200);
    expect((await app.inject({ method: 'GET', url: `/v1/sites/${siteId}`, headers: asAccount() })).statusCode).toBe(200);
    expect((await app.inject({ method: 'GET', url: '/v1/sites/site_nope', headers: asAccount() })).statusCode).toBe(404);
    expect((await app.inject({ method: 'GET', url: '/no/such/route' })).statusCode).toBe(404);
    const response = await app.inject({ method: 'GET', url: '/metrics' });
    expect(response.headers['content-type']).toBe('text/plain; version=0.0.4; charset=utf-8');
    const after = parsePrometheusText(response.body);
    const moved = (name: string, l: Record<string, string>) => after.value(name, l) - before.value(name, l);
    expect(moved('portcullis_cp_http_requests_total', labels('200'))).toBe(2);
    expect(moved('portcullis_cp_http_requests_total', labels('404'))).toBe(1);
    expect(moved('portcullis_cp_http_requests_total', { method: 'GET', route: 'unmatched', status: '404' })).toBe(1);
    expect(moved('portcullis_cp_http_request_duration_seconds_count', { method: 'GET', route })).toBe(3);
    // The raw URL never becomes a label.
    expect(response.body).not.toContain(siteId);
    expect(after.types.get('portcullis_cp_http_request_duration_seconds')).toBe('histogram');
  });

  it('counts each issuance and revocation once, over REST, RPC and gRPC', async () => {
    const issued = (s: PrometheusScrape) => s.value('portcullis_cp_client_certificates_issued_total', { key_source: 'system' });
    const revoked = (s: PrometheusScrape) => s.value('portcullis_cp_revocations_total', { kind: 'client_certificate' });
    const start = await scrape();
    expect(start.labelSets('portcullis_cp_revocations_total')).toContainEqual({ kind: 'custom_ca_serial' });

    const rest = await app.inject({ method: 'POST', url: `/v1/sites/${siteId}/client-certificates`, headers: asAccount(), payload: {} });
    expect(rest.statusCode).toBe(201);
    const afterRest = await scrape();
    expect(issued(afterRest) - issued(start)).toBe(1);
    const restRevoke = await app.inject({
      method: 'POST',
      url: `/v1/sites/${siteId}/client-certificates/${rest.json().certificate.id}/revoke`,
      headers: asAccount(),
      payload: { confirm: true },
    });
    expect(restRevoke.statusCode).toBe(200);
    // Revoking again is a conflict, not a second revocation.
    const again = await app.inject({
      method: 'POST',
      url: `/v1/sites/${siteId}/client-certificates/${rest.json().certificate.id}/revoke`,
      headers: asAccount(),
      payload: { confirm: true },
    });
    expect(again.statusCode).toBe(409);
    const afterRestRevoke = await scrape();
    expect(revoked(afterRestRevoke) - revoked(afterRest)).toBe(1);

    const rpc = await app.inject({ method: 'POST', url: `/?Action=CreateClientCertificate&SiteId=${siteId}`, headers: asAccount() });
    expect(rpc.statusCode).toBe(200);
    const rpcId = rpc.json().Id as string;
    const afterRpc = await scrape();
    expect(issued(afterRpc) - issued(afterRestRevoke)).toBe(1);
    const rpcRevoke = await app.inject({
      method: 'POST',
      url: `/?Action=RevokeClientCertificate&SiteId=${siteId}&Id=${rpcId}`,
      headers: asAccount(),
    });
    expect(rpcRevoke.statusCode).toBe(200);
    const afterRpcRevoke = await scrape();
    expect(revoked(afterRpcRevoke) - revoked(afterRpc)).toBe(1);

    const created = (await api.clientCertificates.createClientCertificate({ siteId }, apiKey)).response;
    const afterGrpc = await scrape();
    expect(issued(afterGrpc) - issued(afterRpcRevoke)).toBe(1);
    await api.clientCertificates.revokeClientCertificate({ siteId, id: created.clientCertificate!.id, confirm: true }, apiKey);
    const afterGrpcRevoke = await scrape();
    expect(revoked(afterGrpcRevoke) - revoked(afterGrpc)).toBe(1);
    expect(issued(afterGrpcRevoke) - issued(start)).toBe(3);
    expect(revoked(afterGrpcRevoke) - revoked(start)).toBe(3);
  });

  it('counts a custom CA serial revoked by hand once, not again when repeated', async () => {
    const serials = (s: PrometheusScrape) => s.value('portcullis_cp_revocations_total', { kind: 'custom_ca_serial' });
    const ca = await createCertificateAuthority({ subject: { commonName: 'Metrics Upload CA', organization: 'Example' } });
    const uploaded = await app.inject({
      method: 'POST',
      url: `/v1/sites/${siteId}/client-ca-certificates`,
      headers: asAccount(),
      payload: { certificate: ca.certificatePem },
    });
    expect(uploaded.statusCode).toBe(201);
    const before = await scrape();
    for (let i = 0; i < 2; i += 1) {
      const revoked = await app.inject({
        method: 'POST',
        url: `/v1/sites/${siteId}/client-ca-certificates/${uploaded.json().id}/revocations`,
        headers: asAccount(),
        payload: { serialNumber: '01ab' },
      });
      expect(revoked.statusCode).toBe(201);
    }
    expect(serials(await scrape()) - serials(before)).toBe(1);
  });

  it('times store calls by operation and outcome', async () => {
    const before = await scrape();
    expect((await app.inject({ method: 'GET', url: `/v1/sites/${siteId}`, headers: asAccount() })).statusCode).toBe(200);
    const after = await scrape();
    expect(after.types.get('portcullis_cp_store_operation_seconds')).toBe('histogram');
    const gets = (s: PrometheusScrape) => s.value('portcullis_cp_store_operation_seconds_count', { operation: 'get', outcome: 'ok' });
    expect(gets(after) - gets(before)).toBeGreaterThanOrEqual(2);
    expect(after.value('portcullis_cp_store_operation_seconds_count', { operation: 'commit', outcome: 'ok' })).toBeGreaterThanOrEqual(8);
    expect(after.value('portcullis_cp_store_healthy')).toBe(1);
  });

  it('refuses a caller off loopback without the admin token or with another token, and allows the admin token', async () => {
    const remote = { method: 'GET' as const, url: '/metrics', remoteAddress: '10.0.0.1' };
    const anonymous = await app.inject(remote);
    expect(anonymous.statusCode).toBe(401);
    expect(anonymous.json()).toEqual({ code: 'Auth.MissingKey', message: expect.any(String), requestId: expect.any(String) });
    const account = await app.inject({ ...remote, headers: asAccount() });
    expect(account.statusCode).toBe(403);
    expect(account.json().code).toBe('Auth.AdminOnly');
    const wrongOnLoopback = await app.inject({ method: 'GET', url: '/metrics', headers: { authorization: 'Bearer adm_wrong' } });
    expect(wrongOnLoopback.statusCode).toBe(403);
    const admin = await app.inject({ ...remote, headers: asAdmin });
    expect(admin.statusCode).toBe(200);
    expect(parsePrometheusText(admin.body).types.get('portcullis_cp_http_requests_total')).toBe('counter');
  });

  it('stays readable while the store is unhealthy, and says so', async () => {
    health.state = { healthy: false, reason: 'the store did not answer within 2000 ms', since: Date.now() };
    try {
      const refused = await app.inject({ method: 'GET', url: `/v1/sites/${siteId}`, headers: asAccount() });
      expect(refused.statusCode).toBe(503);
      const during = await app.inject({ method: 'GET', url: '/metrics', remoteAddress: '10.0.0.1', headers: asAdmin });
      expect(during.statusCode).toBe(200);
      const parsed = parsePrometheusText(during.body);
      expect(parsed.value('portcullis_cp_store_healthy')).toBe(0);
      expect(parsed.value('portcullis_cp_http_requests_total', { method: 'GET', route: '/v1/sites/:siteId', status: '503' })).toBe(1);
    } finally {
      health.state = { healthy: true, revision: 0, confirmedAt: Date.now() };
    }
  });
});

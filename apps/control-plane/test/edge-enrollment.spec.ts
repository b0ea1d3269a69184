import { X509Certificate, generateKeyPairSync } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiError } from '../src/domain/api-error.ts';
import { TempDir, openssl } from './support/openssl.ts';
import { buildTestApp, call, expectError, type Json, type TestApp } from './support/test-app.ts';

/** A fresh P-256 key as an edge makes it: the public half as SPKI PEM. */
function edgeKey(): string {
  return generateKeyPairSync('ec', { namedCurve: 'P-256' }).publicKey.export({ type: 'spki', format: 'pem' }) as string;
}

describe('edge join tokens and enrollment', () => {
  let t: TestApp;
  let dir: TempDir;
  let clock = Date.now();
  const admin = () => t.adminToken;
  const newToken = async (body: Record<string, unknown> = {}): Promise<Json> => {
    const answer = await call(t.app, admin(), 'POST', '/v1/edge-join-tokens', body);
    expect(answer.status, JSON.stringify(answer.body)).toBe(201);
    return answer.body;
  };
  const enroll = (joinToken: string, nodeId: string, publicKeyPem = edgeKey()) =>
    call(t.app, undefined, 'POST', '/v1/edge/enroll', { joinToken, nodeId, publicKeyPem });
  const systemAudit = async () => (await t.store.list('audit', 'audit:system', { offset: 0, limit: 1000 })).items.map((i) => i.data);

  beforeAll(async () => {
    t = await buildTestApp({ now: () => new Date(clock) });
    dir = new TempDir();
  });
  afterAll(async () => {
    await t?.close();
    dir?.remove();
  });

  it('creates a token shown once, with the fleet CA fingerprint to pin, and lists tokens without secrets', async () => {
    const created = await newToken({ name: 'rack 7' });
    expect(created).toMatchObject({ name: 'rack 7', maxUses: 1 });
    expect(created.token).toMatch(/^pjt_jt_[0-9a-f]{20}_[A-Za-z0-9_-]{43}$/);
    expect(created.token.startsWith(`pjt_${created.id}_`)).toBe(true);
    expect(Date.parse(created.expiresAt) - clock).toBe(3600_000);
    const fleet = (await t.store.get('fleetCa', 'fleet'))!.data;
    expect(created.fleetCaFingerprintSha256).toBe(
      new X509Certificate(fleet.certificatePem).fingerprint256.replaceAll(':', '').toLowerCase(),
    );

    const listed = await call(t.app, admin(), 'GET', '/v1/edge-join-tokens?pageSize=100');
    expect(listed.status).toBe(200);
    expect(listed.body.items.find((i: Json) => i.id === created.id)).toEqual({
      id: created.id,
      name: 'rack 7',
      createdAt: new Date(clock).toISOString(),
      expiresAt: created.expiresAt,
      maxUses: 1,
      uses: 0,
    });
    const secret = created.token.split('_').at(-1);
    expect(listed.raw.body).not.toContain(secret);
    expect(listed.raw.body).not.toMatch(/secretHash|pjt_/);
    expect(JSON.stringify(await t.store.get('joinToken', created.id))).not.toContain(secret);
  });

  it('refuses token settings out of range in the schema and in the domain', async () => {
    for (const body of [
      { ttlSeconds: 59 },
      { ttlSeconds: 7 * 86400 + 1 },
      { maxUses: 0 },
      { maxUses: 1001 },
      { maxUses: 1.5 },
      { secret: 'x' },
    ]) {
      // The schema and the domain give the same code; an unknown field has no code of its own.
      const code = 'secret' in body ? 'InvalidParameter' : 'InvalidParameter.JoinToken';
      expectError(await call(t.app, admin(), 'POST', '/v1/edge-join-tokens', body), 400, code);
    }
    const error = await t.services.joinTokens.create({ kind: 'admin', requestId: 'r' }, { ttlSeconds: 10 }).catch((e: unknown) => e);
    expect((error as ApiError).code).toBe('InvalidParameter.JoinToken');
    const named = await t.services.joinTokens.create({ kind: 'admin', requestId: 'r' }, { name: 'bad\u0007name' }).catch((e: unknown) => e);
    expect((named as ApiError).code).toBe('InvalidParameter.Name');
  });

  it('enrolls an edge: a 30-day clientAuth certificate for its own key, CN = node id, from the fleet CA; the use is counted', async () => {
    const token = await newToken();
    const publicKeyPem = edgeKey();
    const answer = await enroll(token.token, 'edge-7', publicKeyPem);
    expect(answer.status, JSON.stringify(answer.body)).toBe(201);
    const { nodeId, certificatePem, fleetCaPem } = answer.body;
    expect(nodeId).toBe('edge-7');
    const caFile = dir.write('fleet-ca.pem', fleetCaPem);
    const certFile = dir.write('edge-7.pem', certificatePem);
    expect(openssl(['verify', '-CAfile', caFile, '-purpose', 'sslclient', certFile]).trim()).toBe(`${certFile}: OK`);
    const x509 = new X509Certificate(certificatePem);
    expect(x509.subject).toBe('CN=edge-7');
    expect(x509.publicKey.export({ type: 'spki', format: 'pem' })).toBe(publicKeyPem);
    expect(Date.parse(x509.validTo) - Date.parse(x509.validFrom)).toBe(30 * 86400_000 + 60_000);
    expect(answer.body.notAfter).toBe(new Date(x509.validTo).toISOString());
    const stored = (await t.store.get('joinToken', token.id))!.data;
    expect([stored.uses, stored.lastUsedAt]).toEqual([1, new Date(clock).toISOString()]);
    // The token allowed one use.
    expectError(await enroll(token.token, 'edge-8'), 401, 'Auth.InvalidJoinToken');
  });

  it('refuses unknown, altered, expired and deleted tokens alike (Auth.InvalidJoinToken), and deleting twice is NotFound.JoinToken', async () => {
    const token = await newToken({ ttlSeconds: 60, maxUses: 5 });
    const [prefix, secret] = [token.token.slice(0, -43), token.token.slice(-43)];
    const altered = `${prefix}${secret[0] === 'A' ? 'B' : 'A'}${secret.slice(1)}`;
    for (const bad of ['', 'pjt_', altered, `pjt_jt_00000000000000000000_${secret}`, t.adminToken]) {
      expectError(await enroll(bad, 'edge-1'), 401, 'Auth.InvalidJoinToken');
    }
    clock += 61_000;
    expectError(await enroll(token.token, 'edge-1'), 401, 'Auth.InvalidJoinToken');
    const other = await newToken({ maxUses: 5 });
    expect((await call(t.app, admin(), 'DELETE', `/v1/edge-join-tokens/${other.id}`)).status).toBe(204);
    expectError(await enroll(other.token, 'edge-1'), 401, 'Auth.InvalidJoinToken');
    expectError(await call(t.app, admin(), 'DELETE', `/v1/edge-join-tokens/${other.id}`), 404, 'NotFound.JoinToken');
  });

  it('refuses a bad node id or public key without using up the token', async () => {
    const token = await newToken();
    for (const nodeId of ['', 'Edge-1', 'edge_1', 'edge.1', 'x'.repeat(65), 'édge']) {
      expectError(await enroll(token.token, nodeId), 400, 'InvalidParameter.NodeId');
    }
    expectError(await enroll(token.token, 'edge-1', 'not a key'), 400, 'Key.Malformed');
    const weak = generateKeyPairSync('rsa', { modulusLength: 1024 }).publicKey.export({ type: 'spki', format: 'pem' }) as string;
    expectError(await enroll(token.token, 'edge-1', weak), 422, 'Key.TooWeak');
    expect((await t.store.get('joinToken', token.id))!.data.uses).toBe(0);
    expect((await enroll(token.token, 'x'.repeat(64))).status).toBe(201);
  });

  it('enrolls exactly maxUses edges when more race for one token', async () => {
    const token = await newToken({ maxUses: 3 });
    const answers = await Promise.all(Array.from({ length: 10 }, (_, i) => enroll(token.token, `racer-${i}`)));
    expect(answers.map((a) => a.status).sort()).toEqual([201, 201, 201, 401, 401, 401, 401, 401, 401, 401]);
    expect((await t.store.get('joinToken', token.id))!.data.uses).toBe(3);
  });

  it('audits the fleet CA, token creation and deletion, and every enrollment under the system account, without secrets', async () => {
    const token = await newToken({ name: 'audited' });
    expect((await enroll(token.token, 'audited-edge')).status).toBe(201);
    expect((await call(t.app, admin(), 'DELETE', `/v1/edge-join-tokens/${token.id}`)).status).toBe(204);
    const entries = await systemAudit();
    expect(entries.filter((e) => e.action === 'FleetCa.Create')).toHaveLength(1);
    const mine = entries.filter((e) => e.target.id === token.id);
    expect(mine.map((e) => [e.action, e.actor])).toEqual([
      ['EdgeJoinToken.Create', 'admin'],
      ['Edge.Enroll', `joinToken:${token.id}`],
      ['EdgeJoinToken.Delete', 'admin'],
    ]);
    expect(mine[1]!.details).toMatchObject({ nodeId: 'audited-edge', use: 1 });
    expect(JSON.stringify(entries)).not.toContain(token.token.slice(-43));
  });

  it('lists no edges before any stream, and a missing edge is NotFound.Edge', async () => {
    const listed = await call(t.app, admin(), 'GET', '/v1/edges');
    expect([listed.status, listed.body]).toEqual([200, { items: [] }]);
    expectError(await call(t.app, admin(), 'GET', '/v1/edges/edge-1'), 404, 'NotFound.Edge');
  });

  it('limits enrollments per client address (Throttling), before reading the body', async () => {
    const limited = await buildTestApp({ enrollRateLimit: { perSecond: 0.001, burst: 2 } });
    try {
      const answers = [];
      for (let i = 0; i < 3; i++)
        answers.push(await call(limited.app, undefined, 'POST', '/v1/edge/enroll', { joinToken: 'x', nodeId: 'a', publicKeyPem: 'x' }));
      expect(answers.map((a) => a.status)).toEqual([401, 401, 429]);
      expectError(answers[2]!, 429, 'Throttling');
    } finally {
      await limited.close();
    }
  });
});

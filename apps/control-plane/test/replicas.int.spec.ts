import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import { startRedis, type TestRedis } from '@portcullis/testing';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localKeyManager } from '../src/crypto/key-manager.ts';
import { createRedisStore, type RedisStore } from '../src/store/redis-store.ts';
import { CommitGate, gatedStore, puts } from './support/gated-store.ts';
import { OpensslCa, TempDir, opensslResult } from './support/openssl.ts';
import { issueFrom, makeCa } from './support/pki.ts';
import {
  buildTestApp,
  call,
  createAccount,
  createClientCertificate,
  createSite,
  rpc,
  uploadCustomCa,
  type Answer,
  type TestApp,
} from './support/test-app.ts';

/**
 * Two control-plane replicas, each with its own Redis connection, on one Redis server and
 * one master key: what production runs behind a load balancer.
 */
describe('two replicas on one Redis', () => {
  let redis: TestRedis;
  let admin: Redis;
  let dir: TempDir;
  const prefix = `replicas-${randomBytes(4).toString('hex')}:`;
  const stores: RedisStore[] = [];
  let r1: TestApp;
  let r2: TestApp;
  const gate = new CommitGate();

  beforeAll(async () => {
    redis = await startRedis();
    admin = new Redis(redis.url, { maxRetriesPerRequest: 20 });
    admin.on('error', () => {});
    dir = new TempDir();
    const masterKey = randomBytes(32);
    for (let i = 0; i < 2; i++) stores.push(await createRedisStore({ url: redis.url, prefix, onConnectionError: () => {} }));
    expect(stores[0]!.durability().status).toBe('durable');
    r1 = await buildTestApp({ store: gatedStore(stores[0]!, gate), keyManager: localKeyManager([Buffer.from(masterKey)]) });
    r2 = await buildTestApp({ store: gatedStore(stores[1]!, gate), keyManager: localKeyManager([Buffer.from(masterKey)]) });
  });
  afterAll(async () => {
    await r1?.close();
    await r2?.close();
    for (const store of stores) await store.close();
    admin?.disconnect();
    await redis?.stop();
    dir?.remove();
  });

  it('(a) concurrent uploads of the 5th and 6th+ custom CA: exactly one wins, the rest QuotaExceeded', async () => {
    for (let round = 0; round < 3; round++) {
      const account = await createAccount(r1);
      const siteOne = await createSite(r1, account);
      const siteTwo = await createSite(r2, account);
      for (let i = 0; i < 4; i++)
        await uploadCustomCa(
          i % 2 ? r1 : r2,
          account,
          i % 2 ? siteOne.id : siteTwo.id,
          (await makeCa(`Existing ${round}.${i}`)).certificatePem,
        );
      const candidates = await Promise.all(Array.from({ length: 6 }, (_, i) => makeCa(`Racing ${round}.${i}`)));
      // All six pass the service's checks before any of them commits.
      gate.arm(puts('customCa'), 6);
      const answers = await Promise.all(
        candidates.map((ca, i) =>
          call(i % 2 ? r1.app : r2.app, account.apiKey, 'POST', `/v1/sites/${i % 3 ? siteOne.id : siteTwo.id}/client-ca-certificates`, {
            certificate: ca.certificatePem,
          }),
        ),
      );
      const statuses = answers.map((a) => a.status).sort();
      expect(statuses, JSON.stringify(answers.map((a) => a.body.code))).toEqual([201, 409, 409, 409, 409, 409]);
      expect(gate.arrived).toBe(6);
      for (const refused of answers.filter((a) => a.status === 409)) expect(refused.body.code).toBe('QuotaExceeded.CaCertificate');
      expect(await stores[0]!.count(`customCas:${account.accountId}`)).toBe(5);
      const listed = await Promise.all(
        [siteOne, siteTwo].map((s) => call(r2.app, account.apiKey, 'GET', `/v1/sites/${s.id}/client-ca-certificates`)),
      );
      expect(listed[0]!.body.totalCount + listed[1]!.body.totalCount).toBe(5);
    }
  });

  it('(b) concurrent hostname sets on both replicas: the binding is exactly one submitted list, never a mix', async () => {
    const account = await createAccount(r1);
    const site = await createSite(r2, account);
    const ca = await uploadCustomCa(r1, account, site.id, (await makeCa('Binding race CA')).certificatePem);
    for (const id of [undefined, ca.id]) {
      const lists = Array.from({ length: 12 }, (_, i) => Array.from({ length: 8 + i }, (_, j) => `r${i}-h${j}.${site.name}`));
      gate.arm(puts('binding'), 12);
      const answers = await Promise.all(
        lists.map((hostnames, i) =>
          rpc(i % 2 ? r1.app : r2.app, account.apiKey, 'SetClientCaCertificateHostnames', {
            SiteId: site.id,
            ...(id ? { Id: id } : {}),
            Hostnames: hostnames,
          }),
        ),
      );
      expect(answers.map((a) => a.status)).toEqual(lists.map(() => 200));
      expect(gate.arrived).toBe(12);
      const final = await rpc(r1.app, account.apiKey, 'GetClientCaCertificateHostnames', { SiteId: site.id, ...(id ? { Id: id } : {}) });
      expect(lists).toContainEqual(final.body.Hostnames);
      expect(
        (await rpc(r2.app, account.apiKey, 'GetClientCaCertificateHostnames', { SiteId: site.id, ...(id ? { Id: id } : {}) })).body
          .Hostnames,
      ).toEqual(final.body.Hostnames);
      // The last write recorded in the audit log is the one that stands.
      const log = await call(r2.app, account.apiKey, 'GET', '/v1/audit-log?pageSize=100');
      const lastSet = log.body.items.find(
        (e: { action: string; details: { caId: string } }) => e.action === 'Binding.Set' && e.details.caId === (id ?? account.accountId),
      );
      expect(lastSet.details.hostnames).toBe(final.body.Hostnames.join(','));
    }
  });

  it('(c) concurrent first use of the account CA on both replicas: one CA, and both replicas issue under it', async () => {
    const account = await createAccount(r1);
    const site = await createSite(r1, account);
    // Each replica creates a CA of its own; both commits are held until both are ready.
    gate.arm(puts('accountCa'), 2);
    const answers = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        call(i % 2 ? r1.app : r2.app, account.apiKey, 'POST', `/v1/sites/${site.id}/client-certificates`, { pkeyType: 'ECC' }),
      ),
    );
    expect(answers.map((a) => a.status)).toEqual(answers.map(() => 201));
    expect(gate.arrived).toBe(2);
    expect(gate.results.map((r) => r.ok).sort()).toEqual([false, true]);
    const cas = await Promise.all([r1, r2].map((r) => call(r.app, account.apiKey, 'GET', '/v1/account-ca')));
    expect(cas[0]!.body).toEqual(cas[1]!.body);
    const audit = await call(r1.app, account.apiKey, 'GET', '/v1/audit-log?pageSize=100');
    expect(audit.body.items.filter((e: { action: string }) => e.action === 'AccountCa.Create')).toHaveLength(1);
    const caFile = dir.write(`account-ca-${account.accountId}.pem`, cas[0]!.body.certificate);
    for (const answer of answers) {
      const leaf = dir.fresh('.pem');
      fs.writeFileSync(leaf, answer.body.certificate.certificate);
      const verified = opensslResult(['verify', '-CAfile', caFile, '-purpose', 'sslclient', leaf]);
      expect(verified.status, verified.stderr).toBe(0);
    }
    // Later issuance on either replica uses the same CA.
    for (const r of [r1, r2]) {
      const more = await createClientCertificate(r, account, site.id, { pkeyType: 'RSA' });
      expect(more.certificate.issuerDn).toBe(cas[0]!.body.subjectDn);
    }
  });

  it('(d) every acknowledged write survives a Redis restart and reads back through both replicas', async () => {
    const ok = (answer: Answer, status = 200) => {
      expect(answer.status, JSON.stringify(answer.body)).toBe(status);
      return answer.body;
    };
    const account = await createAccount(r1, { name: "]] redis.call('FLUSHALL') --[[" });
    const site = await createSite(r2, account);
    const key = account.apiKey;
    const certs = [];
    for (let i = 0; i < 4; i++) certs.push((await createClientCertificate(i % 2 ? r1 : r2, account, site.id)).certificate);
    ok(await call(r1.app, key, 'POST', `/v1/sites/${site.id}/client-certificates/${certs[0]!.id}/revoke`, { confirm: true }));
    ok(await call(r2.app, key, 'DELETE', `/v1/sites/${site.id}/client-certificates/${certs[1]!.id}`), 204);
    const caCert = await makeCa('Durable CA');
    const ca = await uploadCustomCa(r2, account, site.id, caCert.certificatePem);
    const opensslCa = new OpensslCa(dir, 'durable', caCert.certificatePem, caCert.privateKeyPem);
    opensslCa.revoke((await issueFrom(caCert, 'gone')).certificatePem);
    ok(await call(r1.app, key, 'PUT', `/v1/sites/${site.id}/client-ca-certificates/${ca.id}/crl`, { crl: opensslCa.crl() }));
    ok(
      await call(r2.app, key, 'POST', `/v1/sites/${site.id}/client-ca-certificates/${ca.id}/revocations`, { serialNumber: 'abc123' }),
      201,
    );
    ok(await call(r1.app, key, 'PUT', `/v1/sites/${site.id}/ca-bindings/${ca.id}`, { hostnames: [`*.${site.name}`] }));
    ok(await call(r2.app, key, 'PUT', `/v1/sites/${site.id}/ca-bindings/account`, { hostnames: [site.name, `www.${site.name}`] }));
    ok(await call(r1.app, key, 'PATCH', `/v1/sites/${site.id}`, { originUrl: 'https://after-restart.example.net' }));
    const newKey = ok(await call(r2.app, key, 'POST', `/v1/accounts/${account.accountId}/api-keys`, { name: 'made before restart' }), 201);
    const revisionBefore = await stores[0]!.revision();
    const auditBefore = ok(await call(r1.app, key, 'GET', '/v1/audit-log?pageSize=100'));

    await redis.restart();

    // Both replicas reconnect by themselves; wait until each answers again.
    for (const r of [r1, r2]) {
      const deadline = Date.now() + 30_000;
      let answer = await call(r.app, key, 'GET', '/v1/sites').catch(() => undefined);
      while (answer?.status !== 200 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 250));
        answer = await call(r.app, key, 'GET', '/v1/sites').catch(() => undefined);
      }
      expect(answer?.status).toBe(200);
    }
    expect(await stores[1]!.revision()).toBe(revisionBefore);
    for (const r of [r1, r2]) {
      expect(ok(await call(r.app, r.adminToken, 'GET', `/v1/accounts/${account.accountId}`)).name).toBe("]] redis.call('FLUSHALL') --[[");
      expect(ok(await call(r.app, key, 'GET', `/v1/sites/${site.id}`)).originUrl).toBe('https://after-restart.example.net');
      expect(ok(await call(r.app, key, 'GET', `/v1/sites/${site.id}/client-certificates/${certs[0]!.id}`)).status).toBe('revoked');
      expect((await call(r.app, key, 'GET', `/v1/sites/${site.id}/client-certificates/${certs[1]!.id}`)).status).toBe(404);
      expect(ok(await call(r.app, key, 'GET', `/v1/sites/${site.id}/client-certificates`)).totalCount).toBe(3);
      expect(ok(await call(r.app, key, 'GET', `/v1/sites/${site.id}/client-ca-certificates/${ca.id}/crl`)).revokedCount).toBe(1);
      expect(ok(await call(r.app, key, 'GET', `/v1/sites/${site.id}/client-ca-certificates/${ca.id}/revocations`)).items).toEqual([
        expect.objectContaining({ serialNumber: 'abc123' }),
      ]);
      expect(ok(await call(r.app, key, 'GET', `/v1/sites/${site.id}/ca-bindings/${ca.id}`)).hostnames).toEqual([`*.${site.name}`]);
      expect(ok(await call(r.app, key, 'GET', `/v1/sites/${site.id}/ca-bindings/account`)).hostnames).toEqual([
        site.name,
        `www.${site.name}`,
      ]);
      expect(ok(await call(r.app, newKey.secret, 'GET', '/v1/audit-log?pageSize=100'))).toEqual(auditBefore);
    }
    expect(await stores[0]!.get('revocation', `${account.accountId}:${certs[1]!.serialNumber}`)).toBeDefined();
    // The account CA's sealed key survived too: both replicas still issue.
    for (const r of [r1, r2]) await createClientCertificate(r, account, site.id);
  });

  it('(e) two accounts racing for overlapping zones on both replicas: one wins', async () => {
    const one = await createAccount(r1);
    const two = await createAccount(r2);
    const zone = `race-${randomBytes(4).toString('hex')}.example.net`;
    gate.arm(puts('site'), 2);
    const answers = await Promise.all([
      call(r1.app, one.apiKey, 'POST', '/v1/sites', { name: zone, originUrl: 'https://o.example.net' }),
      call(r2.app, two.apiKey, 'POST', '/v1/sites', { name: `shop.${zone}`, originUrl: 'https://o.example.net' }),
    ]);
    expect(gate.arrived).toBe(2);
    expect(answers.map((a) => a.status).sort()).toEqual([201, 409]);
    expect(answers.find((a) => a.status === 409)!.body.code).toBe('Conflict.SiteExists');
  });

  it('keeps no private key and no API key secret in any Redis key', async () => {
    const keys: string[] = [];
    let cursor = '0';
    do {
      const [next, batch] = await admin.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
      keys.push(...batch);
      cursor = next;
    } while (cursor !== '0');
    expect(keys.length).toBeGreaterThan(50);
    for (const k of keys) {
      const type = await admin.type(k);
      const content =
        type === 'hash'
          ? JSON.stringify(await admin.hgetall(k))
          : type === 'stream'
            ? JSON.stringify(await admin.xrange(k, '-', '+'))
            : type === 'zset'
              ? JSON.stringify(await admin.zrange(k, '0', '-1'))
              : type === 'string'
                ? String(await admin.get(k))
                : '';
      expect(content, k).not.toContain('PRIVATE KEY');
    }
  });
});

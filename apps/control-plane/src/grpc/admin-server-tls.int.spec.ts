import { credentials, status, type ServiceError } from '@grpc/grpc-js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../config.ts';
import { startAdminGrpcServer, tlsServerCredentials, type AdminGrpcServer } from './admin-server.ts';
import { adminApi, startAdminFixture, type AdminFixture } from './test/admin-fixture.ts';
import { TempDir, TestCa } from './test/test-pki.ts';

describe('admin gRPC server with TLS from PORTCULLIS_GRPC_TLS_*', () => {
  let f: AdminFixture;
  let dir: TempDir;
  let ca: TestCa;
  let env: NodeJS.ProcessEnv;
  let server: AdminGrpcServer;
  beforeAll(async () => {
    f = await startAdminFixture();
    dir = new TempDir();
    ca = await TestCa.create(dir, 'grpc-tls');
    const leaf = ca.leaf('grpc-server', ['localhost']);
    env = {
      PORTCULLIS_DATA_DIR: dir.path('data'),
      PORTCULLIS_GRPC_TLS_CERT_FILE: dir.write('chain.pem', `${leaf.certificatePem}${ca.certificatePem}`),
      PORTCULLIS_GRPC_TLS_KEY_FILE: dir.write('server.key', leaf.keyPem),
    };
    const config = loadConfig(env);
    server = await startAdminGrpcServer({
      services: f.services,
      host: '127.0.0.1',
      port: 0,
      credentials: tlsServerCredentials(config.grpcTls!),
    });
  });
  afterAll(async () => {
    await server.close();
    await f.close();
    dir.remove();
  });

  it('serves the admin API over TLS to a client that trusts the certificate', async () => {
    const { apiKey, accountId } = await f.newAccount();
    const channel = credentials.createSsl(Buffer.from(ca.certificatePem));
    const api = adminApi(`localhost:${server.port}`, channel);
    try {
      expect((await api.sites.getAccountCa({}, apiKey)).response.id).toBe(accountId);
    } finally {
      for (const client of Object.values(api)) client.close();
    }
  });

  it('refuses plaintext clients and clients that do not trust the certificate', async () => {
    const { apiKey } = await f.newAccount();
    for (const channel of [
      credentials.createInsecure(),
      credentials.createSsl(Buffer.from((await TestCa.create(dir, 'stranger')).certificatePem)),
    ]) {
      const api = adminApi(`localhost:${server.port}`, channel);
      try {
        const error = (await api.sites.listSites({}, apiKey).catch((e: unknown) => e)) as ServiceError;
        expect(error.code).toBe(status.UNAVAILABLE);
      } finally {
        for (const client of Object.values(api)) client.close();
      }
    }
  });

  it('needs both files, readable', () => {
    expect(loadConfig({ PORTCULLIS_DATA_DIR: dir.path('data') }).grpcTls).toBeUndefined();
    expect(() => loadConfig({ ...env, PORTCULLIS_GRPC_TLS_KEY_FILE: '' })).toThrow(ConfigError);
    expect(() => loadConfig({ ...env, PORTCULLIS_GRPC_TLS_CERT_FILE: '' })).toThrow(ConfigError);
    expect(() => loadConfig({ ...env, PORTCULLIS_GRPC_TLS_KEY_FILE: dir.path('missing.key') })).toThrow(
      /cannot read .*missing\.key: ENOENT/,
    );
  });
});

import { mkdtempSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import path from 'node:path';
import {
  credentials,
  Metadata,
  makeGenericClientConstructor,
  type ChannelCredentials,
  type Client,
  type ServiceDefinition,
  type ServiceError,
  type StatusObject,
} from '@grpc/grpc-js';
import { adminV1 } from '@portcullis/proto';
import { expect } from 'vitest';
import { localKeyManager } from '../../crypto/key-manager.ts';
import { createServices, type Services } from '../../domain/services.ts';
import { createSqliteStore } from '../../store/sqlite-store.ts';
import type { Store } from '../../store/store.ts';
import { startAdminGrpcServer, type AdminGrpcServer, type AdminGrpcServerOptions } from '../admin-server.ts';
import { errorCodeKey, requestIdKey } from '../grpc-status.ts';

/** What a test gives of a message; the rest takes proto3 defaults. */
export type DeepPartial<T> = T extends Buffer
  ? T
  : T extends readonly (infer U)[]
    ? DeepPartial<U>[]
    : T extends object
      ? { [K in keyof T]?: DeepPartial<T[K]> }
      : T;

/** A response with the metadata it came with. */
export interface Reply<T> {
  readonly response: T;
  readonly headers: Metadata;
  readonly trailers: Metadata;
}

/**
 * The methods of a service as promises: `request` is filled with proto3 defaults, `token`
 * goes into `authorization: Bearer …` (none when undefined). Rejects with the call's
 * ServiceError, whose `metadata` are the trailers.
 */
export type Api<D> = {
  [K in keyof D]: D[K] extends { requestSerialize(value: infer Req): Buffer; responseDeserialize(value: Buffer): infer Res }
    ? (request: DeepPartial<Req>, token: string | undefined) => Promise<Reply<Res>>
    : never;
};

/** Every service definition of the admin proto, by its full name. */
export const adminServiceDefinitions: ReadonlyMap<string, ServiceDefinition> = new Map(
  (Object.values(adminV1) as unknown[])
    .filter((value): value is ServiceDefinition => {
      const methods: unknown[] = typeof value === 'object' && value !== null ? Object.values(value) : [];
      return methods.length > 0 && methods.every((m) => String((m as { path?: unknown } | null)?.path).startsWith('/portcullis.admin.v1.'));
    })
    .map((definition) => [Object.values(definition)[0]!.path.split('/')[1]!, definition]),
);

/** Promise-returning methods over a real gRPC client for `definition` at `address`. */
export function apiOf<D extends ServiceDefinition>(
  definition: D,
  address: string,
  channel: ChannelCredentials = credentials.createInsecure(),
): Api<D> & { close(): void } {
  const client = new (makeGenericClientConstructor(definition, 'admin'))(address, channel) as Client &
    Record<string, (...args: unknown[]) => NodeJS.EventEmitter>;
  const api: Record<string, unknown> = { close: () => client.close() };
  for (const [name, method] of Object.entries(definition)) {
    // Request messages are named after their method (GetSite → GetSiteRequest).
    const requestType = (adminV1 as unknown as Record<string, { fromPartial(value: unknown): unknown }>)[
      `${method.path.split('/')[2]}Request`
    ]!;
    api[name] = (request: unknown, token: string | undefined) =>
      new Promise((resolve, reject) => {
        const metadata = new Metadata();
        if (token !== undefined) metadata.set('authorization', `Bearer ${token}`);
        let headers = new Metadata();
        let outcome: { error: ServiceError | null; response: unknown } | undefined;
        const call = client[name]!(requestType.fromPartial(request), metadata, {}, (error: ServiceError | null, response: unknown) => {
          outcome = { error, response };
        });
        call.on('metadata', (received: Metadata) => (headers = received));
        // grpc-js calls back before it emits the status, which carries the trailers.
        call.on('status', (status: StatusObject) => {
          if (outcome?.error) reject(Object.assign(outcome.error, { headers }));
          else resolve({ response: outcome?.response, headers, trailers: status.metadata });
        });
      });
  }
  return api as Api<D> & { close(): void };
}

/** Every admin service as promises, one client each. */
export function adminApi(address: string, channel?: ChannelCredentials) {
  return {
    accounts: apiOf(adminV1.AccountServiceService, address, channel),
    sites: apiOf(adminV1.SiteServiceService, address, channel),
    clientCertificates: apiOf(adminV1.ClientCertificateServiceService, address, channel),
    customCas: apiOf(adminV1.CustomCaServiceService, address, channel),
    auditLog: apiOf(adminV1.AuditLogServiceService, address, channel),
    wafRules: apiOf(adminV1.WafRuleServiceService, address, channel),
  };
}

export type AdminApi = ReturnType<typeof adminApi>;

export interface AdminFixture {
  readonly api: AdminApi;
  readonly adminToken: string;
  readonly services: Services;
  readonly store: Store;
  /** The embedded store's database file. */
  readonly databaseFile: string;
  readonly server: AdminGrpcServer;
  /** A new account; returns its id and API key. */
  newAccount(plan?: { customCaQuota: number }): Promise<{ accountId: string; apiKey: string }>;
  /** A new site of the account holding `apiKey`, named `<random>.example.com` unless given. */
  newSite(apiKey: string, name?: string): Promise<adminV1.Site>;
  close(): Promise<void>;
}

/**
 * The admin gRPC server on loopback over an embedded store in a temporary directory, with
 * clients for every service. One per test file.
 */
export async function startAdminFixture(options: Partial<Pick<AdminGrpcServerOptions, 'rateLimit' | 'log'>> = {}): Promise<AdminFixture> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'grpc-admin-'));
  const databaseFile = path.join(dir, 'portcullis.db');
  const store = createSqliteStore({ path: databaseFile });
  const adminToken = `adm_${randomBytes(24).toString('base64url')}`;
  const services = createServices({ store, keyManager: localKeyManager([randomBytes(32)]), now: () => new Date() }, { adminToken });
  const server = await startAdminGrpcServer({ services, host: '127.0.0.1', port: 0, ...options });
  const api = adminApi(`127.0.0.1:${server.port}`);
  return {
    api,
    adminToken,
    services,
    store,
    databaseFile,
    server,
    async newAccount(plan) {
      const { response } = await api.accounts.createAccount(
        { name: `account ${randomBytes(3).toString('hex')}`, ...(plan ? { plan } : {}) },
        adminToken,
      );
      return { accountId: response.account!.id, apiKey: response.apiKeySecret };
    },
    async newSite(apiKey, name = `${randomBytes(4).toString('hex')}.example.com`) {
      return (await api.sites.createSite({ name, originUrl: 'https://origin.example.net' }, apiKey)).response.site!;
    },
    async close() {
      for (const client of Object.values(api)) client.close();
      await server.close();
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Awaits a call expected to fail and checks its gRPC status code, the catalogue code in
 * the `portcullis-error-code` trailer and the request id in `x-request-id`.
 */
export async function expectFailure(call: Promise<unknown>, grpcCode: number, errorCode: string): Promise<ServiceError> {
  const error = await call.then(
    () => expect.fail(`expected ${errorCode}, the call succeeded`),
    (e: unknown) => e as ServiceError,
  );
  expect({ code: error.code, errorCode: error.metadata?.get(errorCodeKey)[0] }, error.details).toEqual({ code: grpcCode, errorCode });
  expect(error.metadata.get(requestIdKey)[0]).toMatch(/^req_[0-9a-f]{16}$/);
  return error;
}

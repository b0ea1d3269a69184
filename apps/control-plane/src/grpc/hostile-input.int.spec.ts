import http2 from 'node:http2';
import { gzipSync } from 'node:zlib';
import { status } from '@grpc/grpc-js';
import { BinaryWriter, WireType } from '@bufbuild/protobuf/wire';
import { adminV1 } from '@portcullis/proto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adminServiceDefinitions, expectFailure, startAdminFixture, type AdminFixture } from './test/admin-fixture.ts';

/** How a raw call ended: the gRPC status, the catalogue code trailer and the status message. */
interface RawOutcome {
  readonly grpcStatus: number;
  readonly errorCode: string | undefined;
  readonly message: string;
}

/**
 * One unary call over a plain HTTP/2 stream, with the request frame exactly as given: the
 * compressed flag and `grpc-encoding` under the test's control, which a gRPC client never
 * lets a caller get wrong.
 */
function rawCall(
  port: number,
  path: string,
  payload: Uint8Array,
  options: { token: string; compressedFlag?: boolean; encoding?: string },
): Promise<RawOutcome> {
  return new Promise((resolve, reject) => {
    const session = http2.connect(`http://127.0.0.1:${port}`);
    session.on('error', reject);
    const fields: Record<string, string> = {};
    const request = session.request({
      ':method': 'POST',
      ':path': path,
      'content-type': 'application/grpc',
      te: 'trailers',
      authorization: `Bearer ${options.token}`,
      ...(options.encoding ? { 'grpc-encoding': options.encoding } : {}),
    });
    const take = (headers: http2.IncomingHttpHeaders) => {
      for (const [name, value] of Object.entries(headers)) if (typeof value === 'string') fields[name] = value;
    };
    request.on('response', take);
    request.on('trailers', take);
    request.on('data', () => undefined);
    request.on('error', reject);
    request.on('close', () => {
      session.close();
      resolve({
        grpcStatus: Number(fields['grpc-status']),
        errorCode: fields['portcullis-error-code'],
        message: decodeURIComponent(fields['grpc-message'] ?? ''),
      });
    });
    const frame = Buffer.alloc(5 + payload.length);
    frame.writeUInt8(options.compressedFlag ? 1 : 0, 0);
    frame.writeUInt32BE(payload.length, 1);
    frame.set(payload, 5);
    request.end(frame);
  });
}

/** Every method of every admin service, by its path (`/portcullis.admin.v1.SiteService/GetSite`). */
const methodPaths = [...adminServiceDefinitions.values()].flatMap((definition) => Object.values(definition).map((method) => method.path));

/** Bytes no request message decodes from, each for a different reason. */
const undecodable: [string, Uint8Array][] = [
  ['0aff: a length that never ends', Buffer.from('0aff', 'hex')],
  ['a tag longer than 32 bits', Buffer.from('ffffffffffffffffffff01', 'hex')],
  ['wire type 7', Buffer.from('0f', 'hex')],
  ['a length past the end', Buffer.from('0a7f41', 'hex')],
  ['an end-group without a start', Buffer.from('0c', 'hex')],
  ['a truncated fixed64', Buffer.from('09010203', 'hex')],
];

describe('admin gRPC API: hostile request messages', () => {
  let f: AdminFixture;
  let account: { accountId: string; apiKey: string };
  let siteId: string;
  beforeAll(async () => {
    f = await startAdminFixture({ rateLimit: { perSecond: 10_000, burst: 10_000 } });
    account = await f.newAccount();
    siteId = (await f.newSite(account.apiKey)).id;
  });
  afterAll(() => f.close());

  /** INVALID_ARGUMENT with the catalogue code, a message that repeats nothing sent, nothing written. */
  async function expectRefused(label: string, run: () => Promise<RawOutcome>, code = 'Request.MalformedMessage'): Promise<void> {
    const revision = await f.store.revision();
    const outcome = await run();
    expect({ label, grpcStatus: outcome.grpcStatus, errorCode: outcome.errorCode }).toEqual({
      label,
      grpcStatus: status.INVALID_ARGUMENT,
      errorCode: code,
    });
    expect(outcome.message).not.toMatch(/deserializ|premature|varint|wire type|\bat\b.*\.ts/i);
    expect(await f.store.revision()).toBe(revision);
  }

  it('knows all 40 methods', () => {
    expect(methodPaths).toHaveLength(40);
  });

  it.each(undecodable)('refuses %s on every method as INVALID_ARGUMENT (was INTERNAL)', async (label, bytes) => {
    for (const path of methodPaths) {
      await expectRefused(`${path} ${label}`, () => rawCall(f.server.port, path, bytes, { token: account.apiKey }));
    }
  });

  it('refuses undecodable bytes flagged compressed without an encoding, and garbage declared gzip', async () => {
    for (const path of methodPaths) {
      await expectRefused(`${path} flagged`, () =>
        rawCall(f.server.port, path, Buffer.from('0aff', 'hex'), { token: account.apiKey, compressedFlag: true }),
      );
      await expectRefused(`${path} gzip of garbage`, () =>
        rawCall(f.server.port, path, gzipSync(Buffer.from('0aff', 'hex')), {
          token: account.apiKey,
          compressedFlag: true,
          encoding: 'gzip',
        }),
      );
      await expectRefused(`${path} not gzip at all`, () =>
        rawCall(f.server.port, path, Buffer.from('not gzip at all'), { token: account.apiKey, compressedFlag: true, encoding: 'gzip' }),
      );
    }
  });

  it('still authenticates first: garbage without a valid key is UNAUTHENTICATED', async () => {
    const outcome = await rawCall(f.server.port, methodPaths[0]!, Buffer.from('0aff', 'hex'), { token: 'nope' });
    expect([outcome.grpcStatus, outcome.errorCode]).toEqual([status.UNAUTHENTICATED, 'Auth.InvalidKey']);
  });

  /** A CreateClientCertificate request for the test's site with validity_days as a raw varint. */
  const createWithValidity = (validityDays: bigint) =>
    new BinaryWriter().tag(1, WireType.LengthDelimited).string(siteId).tag(2, WireType.Varint).uint64(validityDays).finish();
  const createPath = adminV1.ClientCertificateServiceService.createClientCertificate.path;

  it('refuses a uint32 that does not fit 32 bits instead of wrapping it (2^32+30 issued a 30-day certificate)', async () => {
    for (const value of [2n ** 32n + 30n, 2n ** 63n - 1n, 2n ** 64n - 1n, 2n ** 32n]) {
      await expectRefused(`validity_days ${value}`, () =>
        rawCall(f.server.port, createPath, createWithValidity(value), { token: account.apiKey }),
      );
    }
    expect((await f.api.clientCertificates.listClientCertificates({ siteId }, account.apiKey)).response.page!.totalCount).toBe(0);
  });

  it('refuses paging that does not fit 32 bits (a page of 2^40 answered OK)', async () => {
    const page = (field: number, value: bigint) => new BinaryWriter().tag(field, WireType.Varint).uint64(value).finish();
    for (const [field, value] of [
      [1, 2n ** 40n],
      [2, 2n ** 32n + 5n],
    ] as const) {
      const request = new BinaryWriter().tag(1, WireType.LengthDelimited).bytes(page(field, value)).finish();
      await expectRefused(`page field ${field} = ${value}`, () =>
        rawCall(f.server.port, adminV1.AuditLogServiceService.listAuditLog.path, request, { token: account.apiKey }),
      );
      await expectRefused(`sites page field ${field} = ${value}`, () =>
        rawCall(f.server.port, adminV1.SiteServiceService.listSites.path, request, { token: account.apiKey }),
      );
    }
  });

  it('refuses an enum out of int32 range, and an unknown key type with its own code', async () => {
    const withKeyType = (value: bigint) =>
      new BinaryWriter().tag(1, WireType.LengthDelimited).string(siteId).tag(4, WireType.Varint).uint64(value).finish();
    await expectRefused('pkey_type 2^31', () => rawCall(f.server.port, createPath, withKeyType(2n ** 31n), { token: account.apiKey }));
    await expectRefused(
      'pkey_type 7',
      () => rawCall(f.server.port, createPath, withKeyType(7n), { token: account.apiKey }),
      'InvalidParameter.PkeyType',
    );
    // -1 as a proto int32: ten bytes, sign-extended.
    await expectRefused(
      'pkey_type -1',
      () => rawCall(f.server.port, createPath, withKeyType(2n ** 64n - 1n), { token: account.apiKey }),
      'InvalidParameter.PkeyType',
    );
  });

  it('refuses a rule position past any ruleset (it was taken as "at the end")', async () => {
    const revision = await f.store.revision();
    for (const position of [101, 2 ** 31, 2 ** 32 - 1]) {
      await expectFailure(
        f.api.wafRules.createWafRule({ siteId, expression: 'http.host eq "a"', position }, account.apiKey),
        status.INVALID_ARGUMENT,
        'InvalidParameter',
      );
    }
    expect(await f.store.revision()).toBe(revision);
  });

  it('refuses text that is not UTF-8', async () => {
    const request = new BinaryWriter()
      .tag(1, WireType.LengthDelimited)
      .bytes(Buffer.from([0x73, 0x69, 0x74, 0x65, 0xff, 0xfe]))
      .finish();
    await expectRefused('site_id with invalid UTF-8', () =>
      rawCall(f.server.port, adminV1.SiteServiceService.getSite.path, request, { token: account.apiKey }),
    );
  });

  it('gives the same codes as REST and RPC for the same field mistakes', async () => {
    await expectFailure(
      f.api.clientCertificates.createClientCertificate({ siteId, validityDays: 3651 }, account.apiKey),
      status.INVALID_ARGUMENT,
      'InvalidParameter.ValidityDays',
    );
    await expectFailure(
      f.api.sites.listSites({ page: { pageSize: 101 } }, account.apiKey),
      status.INVALID_ARGUMENT,
      'InvalidParameter.Paging',
    );
  });

  it('takes prototype names as plain header names in the rule tester', async () => {
    const revision = await f.store.revision();
    for (const name of ['__proto__', 'constructor', 'toString', 'hasOwnProperty', '__defineGetter__']) {
      const { response } = await f.api.wafRules.testWafRules(
        {
          siteId,
          // Blocks only if both values reached the rules under the header's own name.
          expression: `len(http.request.headers["${name}"]) eq 2`,
          request: {
            host: 'x.example.com',
            headers: [
              { name, values: ['a'] },
              { name, values: ['b'] },
            ],
          },
        },
        account.apiKey,
      );
      expect(response.action, name).toBe('block');
    }
    expect(({} as Record<string, unknown>)['a']).toBeUndefined();
    expect(await f.store.revision()).toBe(revision);
  });
});

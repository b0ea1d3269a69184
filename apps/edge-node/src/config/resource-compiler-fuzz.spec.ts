import fc from 'fast-check';
import {
  ConfigError,
  decodeResource,
  encodeResource,
  resourceName,
  resourceTypeOrder,
  versionOf,
  type EncodedResource,
  type ResourceMessages,
  type ResourceType,
} from '@portcullis/config';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compileResource } from './resource-compiler.ts';
import { credentialResource, revocationsResource, siteResource, trustResource, wafResource } from '../test/resources.ts';
import { createTestPki, type TestPki } from '../test/test-pki.ts';

/**
 * Property tests of the edge's resource decoder and compiler with fast-check, for every type:
 * random bytes, valid resources mutated (bytes flipped, truncated, inserted, removed, spliced
 * from another type) and random messages encoded properly (so the compiler, not only the
 * protobuf decoder, sees hostile content). Every case must end in a compiled value or
 * `{ ok: false, error: ConfigError }` naming the resource, never an exception, within a time
 * bound. Runs are bounded in count; every case is timed.
 */

// A generous bound for one resource of a few KiB on a shared, busy machine: a backtracking
// regex or a quadratic loop blows through it by orders of magnitude.
const maxCaseMs = 1000;
const configErrorCodes = new Set(['Resource.VersionMismatch', 'Resource.Malformed', 'Resource.NameMismatch', 'Resource.Invalid']);

/** Compiles `resource` as `type` and checks the contract; returns whether it compiled. */
function compilesOrRefuses(type: ResourceType, resource: EncodedResource): boolean {
  const started = performance.now();
  const result = compileResource(type, resource);
  const elapsed = performance.now() - started;
  if (elapsed > maxCaseMs) throw new Error(`${type}: a case took ${elapsed.toFixed(0)} ms`);
  if (result.ok) return true;
  expect(result.error).toBeInstanceOf(ConfigError);
  expect(configErrorCodes.has(result.error.code), result.error.code).toBe(true);
  expect(result.error.resourceName).toBe(resource.name);
  return false;
}

/** `decodeResource` returns a message or throws a ConfigError, nothing else. */
function decodesOrThrowsConfigError(type: ResourceType, resource: EncodedResource): void {
  try {
    decodeResource(type, resource);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
  }
}

/** `body` as a resource called `name` whose version matches, so decoding gets past the version check. */
function withVersion(name: string, body: Uint8Array): EncodedResource {
  return { name, version: versionOf(body), body };
}

/** A mutation of a byte string: each keeps the result within a few KiB. */
const mutation = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 16 }) }),
  fc.record({ kind: fc.constant('remove' as const), at: fc.nat(), count: fc.integer({ min: 1, max: 16 }) }),
  fc.record({ kind: fc.constant('set' as const), at: fc.nat(), value: fc.constantFrom(0x00, 0x7f, 0x80, 0xff, 0x0a, 0x12, 0x1a) }),
);

type Mutation = typeof mutation extends fc.Arbitrary<infer M> ? M : never;

function mutate(body: Uint8Array, mutations: readonly Mutation[]): Uint8Array {
  let bytes = Uint8Array.from(body);
  for (const m of mutations) {
    const at = bytes.length === 0 ? 0 : m.at % bytes.length;
    if (m.kind === 'flip' && bytes.length > 0) bytes[at]! ^= 1 << m.bit;
    else if (m.kind === 'truncate') bytes = bytes.subarray(0, at);
    else if (m.kind === 'insert') bytes = Uint8Array.from([...bytes.subarray(0, at), ...m.bytes, ...bytes.subarray(at)]);
    else if (m.kind === 'remove') bytes = Uint8Array.from([...bytes.subarray(0, at), ...bytes.subarray(at + m.count)]);
    else if (m.kind === 'set' && bytes.length > 0) bytes[at] = m.value;
  }
  return bytes;
}

/** The id a message's resource is named after. */
function idOf<T extends ResourceType>(type: T, message: ResourceMessages[T]): string {
  const fields = message as unknown as { id?: string; siteId?: string; caId?: string };
  if (type === 'site' || type === 'credential') return fields.id ?? '';
  return (type === 'revocations' ? fields.caId : fields.siteId) ?? '';
}

describe('resource decoder and compiler under random and mutated input', () => {
  let pki: TestPki;
  let valid: { readonly [T in ResourceType]: EncodedResource };
  let pems: string[];

  beforeAll(async () => {
    pki = await createTestPki();
    const server = await pki.serverCertificate(['api.example.com', '*.example.com']);
    const ca = await pki.clientCa('Fuzz CA');
    valid = {
      site: siteResource('s1', 'example.com', 'https://origin.example.net:8443/base').resource,
      trust: trustResource('s1', { ca_a: ca.certificatePem }, { 'api.example.com': ['ca_a'], '*.example.com': ['ca_a'] }).resource,
      credential: credentialResource('c1', 's1', ['api.example.com', '*.example.com'], server).resource,
      revocations: revocationsResource('ca_a', ['00ff01', '0a', 'deadbeef']).resource,
      waf: wafResource('s1', [
        { id: 'r1', expression: 'http.host eq "api.example.com" and not ssl.client_cert.verified', status: 403 },
        { id: 'r2', expression: 'http.request.uri.path matches "^/a+b$"', action: 'log' },
      ]).resource,
    };
    pems = [ca.certificatePem, server.chainPem, server.keyPem];
  });
  afterAll(() => pki.remove());

  it('the valid resources compile (the mutations start from something that works)', () => {
    for (const type of resourceTypeOrder) expect(compilesOrRefuses(type, valid[type]), type).toBe(true);
  });

  it.each(resourceTypeOrder)('refuses random bytes as a %s with a ConfigError, with or without a matching version', (type) => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2048 }), fc.string({ maxLength: 40 }), fc.boolean(), (body, id, matching) => {
        const name = resourceName(type, id);
        const resource = matching ? withVersion(name, body) : { name, version: 'f'.repeat(32), body };
        decodesOrThrowsConfigError(type, resource);
        compilesOrRefuses(type, resource);
      }),
      { numRuns: 300 },
    );
  });

  it.each(resourceTypeOrder)('refuses or compiles every mutation of a valid %s, never throwing', (type) => {
    fc.assert(
      fc.property(fc.array(mutation, { minLength: 1, maxLength: 6 }), fc.boolean(), (mutations, reversion) => {
        const body = mutate(valid[type].body, mutations);
        // With the old version the damage must be caught by the version check alone.
        const resource = reversion ? withVersion(valid[type].name, body) : { ...valid[type], body };
        decodesOrThrowsConfigError(type, resource);
        const compiled = compilesOrRefuses(type, resource);
        if (!reversion && versionOf(body) !== valid[type].version) expect(compiled).toBe(false);
      }),
      { numRuns: 300 },
    );
  });

  it('refuses or compiles the body of one type read as another', () => {
    fc.assert(
      fc.property(fc.constantFrom(...resourceTypeOrder), fc.constantFrom(...resourceTypeOrder), (from, as) => {
        compilesOrRefuses(as, withVersion(valid[from].name, valid[from].body));
      }),
      { numRuns: 50 },
    );
  });

  it('refuses or compiles random messages of every type, properly encoded', () => {
    const text = fc.oneof(
      fc.string({ maxLength: 80 }),
      fc.constantFrom('', 'example.com', '*.example.com', 'a.*.example.com', 'EXAMPLE.com', 'xn--', '..', '-a.com', 'http://o', 'ssl'),
      fc.constantFrom(...pems),
      fc.string({ unit: 'binary', maxLength: 40 }),
    );
    const messages: { readonly [T in ResourceType]: fc.Arbitrary<ResourceMessages[T]> } = {
      site: fc.record({ id: text, zone: text, originUrl: text, forwardClientCert: fc.boolean() }),
      trust: fc.record({
        siteId: text,
        cas: fc.array(fc.record({ id: text, certificatePem: text }), { maxLength: 4 }),
        bindings: fc.array(fc.record({ hostname: text, caIds: fc.array(text, { maxLength: 3 }) }), { maxLength: 4 }),
      }),
      credential: fc.record({
        id: text,
        siteId: text,
        hostnames: fc.array(text, { maxLength: 4 }),
        certificateChainPem: text,
        privateKeyPem: text,
      }),
      revocations: fc.record({
        caId: text,
        serials: fc.array(fc.oneof(text, fc.string({ unit: fc.constantFrom(...'0123456789abcdefABCDEF'), maxLength: 40 })), {
          maxLength: 20,
        }),
      }),
      waf: fc.record({
        siteId: text,
        rules: fc.array(
          fc.record({
            id: text,
            expression: fc.oneof(
              text,
              fc.constantFrom('http.host eq "a"', 'not ssl', 'http.request.uri.path matches "(a+)+$"', '((((((((((ssl))))))))))'),
            ),
            action: fc.constantFrom('block', 'log', 'allow', '', 'deny'),
            status: fc.oneof(fc.integer({ min: 0, max: 1000 }), fc.constant(2 ** 32 - 1)),
            body: text,
            contentType: text,
            enabled: fc.boolean(),
            description: text,
          }),
          { maxLength: 4 },
        ),
      }),
    };
    for (const type of resourceTypeOrder) {
      fc.assert(
        fc.property(messages[type] as fc.Arbitrary<ResourceMessages[typeof type]>, fc.boolean(), (message, named) => {
          // Named after its own id half the time, so name checks pass and the content is compiled.
          const resource = encodeResource(type, resourceName(type, named ? idOf(type, message) : 'other'), message);
          compilesOrRefuses(type, resource);
        }),
        { numRuns: 150 },
      );
    }
  });
});

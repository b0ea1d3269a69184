import { describe, expect, it } from 'vitest';
import { ConfigError, decodeResource, encodeResource, versionOf } from './encoded-resource.ts';
import { resourceName, resourceTypeOf, resourceTypeOrder, resourceTypes } from './resource-types.ts';

const site = { id: 'site_1', zone: 'example.com', originUrl: 'https://origin.example.com', forwardClientCert: false };

function codeOf(run: () => unknown): string | undefined {
  try {
    run();
  } catch (error) {
    return error instanceof ConfigError ? error.code : 'not a ConfigError';
  }
  return undefined;
}

describe('encoded resources', () => {
  it('round-trips, with a version that is the same for the same message and differs otherwise', () => {
    const encoded = encodeResource('site', resourceName('site', site.id), site);
    expect(encoded.name).toBe('site/site_1');
    expect(encoded.version).toMatch(/^[0-9a-f]{32}$/);
    expect(decodeResource('site', encoded)).toEqual(site);
    expect(encodeResource('site', encoded.name, { ...site }).version).toBe(encoded.version);
    expect(encodeResource('site', encoded.name, { ...site, originUrl: 'https://other.example.com' }).version).not.toBe(encoded.version);
  });

  it('refuses a body that does not match its version, and bytes that are not the message', () => {
    const encoded = encodeResource('revocations', 'revocations/ca_1', { caId: 'ca_1', serials: ['0a', 'ff01'] });
    const altered = Uint8Array.from(encoded.body);
    altered[altered.length - 1]! ^= 1;
    expect(codeOf(() => decodeResource('revocations', { ...encoded, body: altered }))).toBe('Resource.VersionMismatch');
    const garbage = Uint8Array.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01]);
    expect(codeOf(() => decodeResource('revocations', { name: 'revocations/x', version: versionOf(garbage), body: garbage }))).toBe(
      'Resource.Malformed',
    );
  });

  it('names every type and maps type URLs back', () => {
    for (const type of resourceTypeOrder) expect(resourceTypeOf(resourceTypes[type].typeUrl)).toBe(type);
    expect(resourceTypeOf('portcullis.edge.v1.Nope')).toBeUndefined();
    expect(resourceName('waf', 'site_9')).toBe('waf/site_9');
  });
});

import { describe, expect, it } from 'vitest';

describe('runtime', () => {
  it('runs on Node 24 with OpenSSL 3.5 or newer', () => {
    expect(process.versions.node.split('.')[0]).toBe('24');
    const [major, minor] = process.versions.openssl.split('.').map(Number);
    expect(major! * 100 + minor!).toBeGreaterThanOrEqual(305);
  });
});

import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { WAF_FIELDS } from './scheme.ts';

describe('WAF_FIELDS', () => {
  it('describes every field', () => {
    for (const field of WAF_FIELDS.values()) {
      expect(field.description.length).toBeGreaterThan(10);
      expect(WAF_FIELDS.get(field.name)).toBe(field);
    }
  });

  it('gives every certificate field its Cloudflare twin, with the same type (dates aside)', () => {
    const twins: Record<string, string> = {
      presented: 'cert_presented',
      verified: 'cert_verified',
      revoked: 'cert_revoked',
      serial: 'cert_serial',
      fingerprint_sha256: 'cert_fingerprint_sha256',
      subject_dn: 'cert_subject_dn',
      issuer_dn: 'cert_issuer_dn',
      issuer_ski: 'cert_issuer_ski',
    };
    for (const [ours, theirs] of Object.entries(twins)) {
      const a = WAF_FIELDS.get(`ssl.client_cert.${ours}` as never);
      const b = WAF_FIELDS.get(`cf.tls_client_auth.${theirs}` as never);
      expect(b?.type).toBe(a?.type);
    }
  });

  it('matches the field table of the README, name and type', () => {
    const readme = readFileSync(path.join(import.meta.dirname, '../README.md'), 'utf8');
    const rows = [...readme.matchAll(/^\| `([a-z0-9_.]+)` \| ([A-Za-z<>]+) \|/gm)].map((m) => [m[1], m[2]]);
    expect(rows).toEqual([...WAF_FIELDS.values()].map((f) => [f.name, f.type]));
  });
});

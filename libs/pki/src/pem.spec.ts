import { describe, expect, it } from 'vitest';
import { decodePem, encodePem } from './pem.ts';

describe('pem', () => {
  const der = Uint8Array.from({ length: 100 }, (_, i) => i);
  const pem = encodePem('CERTIFICATE', der);

  it('encodes 64-character lines and decodes back', () => {
    expect(pem.split('\n')[1]).toHaveLength(64);
    const decoded = decodePem(pem);
    expect(decoded).toEqual({ ok: true, blocks: [{ label: 'CERTIFICATE', der }] });
  });

  it('accepts CRLF, indentation and explanatory text around blocks', () => {
    const text = `Bag Attributes\n    friendlyName: x\nsubject=CN = x\n${pem.replace(/\n/g, '\r\n  ')}trailing words\n${pem}`;
    const decoded = decodePem(text);
    expect(decoded.ok && decoded.blocks.length).toBe(2);
  });

  it('reports each kind of broken PEM as a problem, never throws', () => {
    const body = pem.split('\n').slice(1, -2).join('\n');
    const cases: [string, string][] = [
      ['', 'no PEM block'],
      ['hello', 'no PEM block'],
      [`-----BEGIN CERTIFICATE-----\n${body}\n`, 'no END'],
      [`-----BEGIN CERTIFICATE-----\n${body}\n-----END X509 CRL-----\n`, 'closed by END'],
      [`-----BEGIN CERTIFICATE-----\n${body}*\n-----END CERTIFICATE-----\n`, 'outside base64'],
      [`-----BEGIN CERTIFICATE-----\n${body.slice(1)}\n-----END CERTIFICATE-----\n`, 'not valid base64'],
      ['-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n', 'not valid base64'],
      [`-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\n${body}\n-----END RSA PRIVATE KEY-----\n`, 'headers'],
      [`-----END CERTIFICATE-----\n`, 'without a matching BEGIN'],
    ];
    for (const [text, problem] of cases) {
      const decoded = decodePem(text);
      expect(decoded.ok).toBe(false);
      if (!decoded.ok) expect(decoded.problem).toContain(problem);
    }
  });
});

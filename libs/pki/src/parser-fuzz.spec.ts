import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCertificateAuthority } from './certificate-authority.ts';
import { inspectCertificate, inspectCertificateChain } from './certificate-info.ts';
import { checkCrlCurrent, parseCrl, verifyCrlSignature } from './certificate-revocation-list.ts';
import { issueClientCertificate } from './issuance/issue-client-certificate.ts';
import { loadIssuingCa, localCaSigner } from './issuing-ca.ts';
import { readPrivateKeyPem, readPublicKeyPem } from './key-pair.ts';
import { inspectCsr } from './parse-csr.ts';
import { decodePem, encodePem } from './pem.ts';
import { PkiError, pkiErrorCatalogue } from './pki-error.ts';
import { TempDir, openssl, opensslCsr, pemToDer } from './test/openssl.ts';
import { createTrustStore } from './trust-store.ts';
import type { TrustStore } from './trust-store.ts';
import { validateCaCertificate } from './validate-ca-certificate.ts';

/**
 * Property tests of every parser entry point with fast-check: random bytes, random PEM
 * framing, and valid DER from openssl and libs/pki mutated (bit flips, truncation, length
 * fields tampered with, bytes inserted and removed, deep nesting). Each case must end in a
 * result or a PkiError with a catalogue code — never another exception — within a time bound.
 * Runs are bounded in count; every case is timed.
 */

// A generous bound for one parse of at most a few hundred KiB on a shared, busy machine; a
// backtracking regex or a quadratic loop blows through it by orders of magnitude.
const maxCaseMs = 1000;

/** Runs `parse`; true when it returned or threw a PkiError of the catalogue, in time. Anything else is rethrown. */
function survives(parse: () => unknown): boolean {
  const started = performance.now();
  try {
    parse();
  } catch (error) {
    if (!(error instanceof PkiError) || !Object.hasOwn(pkiErrorCatalogue, error.code)) throw error;
  }
  const elapsed = performance.now() - started;
  if (elapsed > maxCaseMs) throw new Error(`a case took ${elapsed.toFixed(0)} ms`);
  return true;
}

/** DER of `depth` SEQUENCEs nested around `inner`, with definite minimal lengths, built in linear time. */
function nested(depth: number, inner: Uint8Array, tag = 0x30): Uint8Array {
  const headerLength = (length: number) => (length < 0x80 ? 2 : length < 0x100 ? 3 : length < 0x10000 ? 4 : length < 0x1000000 ? 5 : 6);
  const lengths: number[] = [];
  let length = inner.length;
  for (let i = 0; i < depth; i++) {
    lengths.push(length);
    length += headerLength(length);
  }
  const out = new Uint8Array(length);
  let at = 0;
  for (let i = depth - 1; i >= 0; i--) {
    const content = lengths[i]!;
    out[at++] = tag;
    if (content < 0x80) out[at++] = content;
    else {
      const bytes: number[] = [];
      for (let v = content; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
      out[at++] = 0x80 | bytes.length;
      for (const b of bytes) out[at++] = b;
    }
  }
  out.set(inner, at);
  return out;
}

describe('parser fuzzing: only results or PkiErrors, never a crash or a hang', () => {
  let dir: TempDir;
  let samples: Uint8Array[];
  let caPem: string;
  let store: TrustStore;

  beforeAll(async () => {
    dir = new TempDir();
    const ca = await createCertificateAuthority({ subject: { commonName: 'Fuzz CA', organization: 'Fuzzing' } });
    caPem = ca.certificatePem;
    const issuing = await loadIssuingCa(ca.certificatePem, localCaSigner(ca.privateKey));
    const leaf = await issueClientCertificate(issuing, { keyType: 'ec-p256', commonName: 'fuzz leaf' });
    const rsaLeaf = await issueClientCertificate(issuing, { keyType: 'rsa-2048', commonName: 'fuzz rsa leaf' });
    const csr = pemToDer(opensslCsr(dir, 'fuzz', 'ec-p256', '/CN=fuzz/O=Fuzzing', ['-addext', 'subjectAltName=DNS:a.example,IP:10.0.0.1']));
    dir.write('ca.pem', ca.certificatePem);
    dir.write('ca.key', ca.privateKeyPem);
    dir.write('leaf.pem', leaf.certificatePem);
    dir.write('index', '');
    dir.write('crlnumber', '01\n');
    dir.write(
      'ca.cnf',
      [
        '[ca]',
        'default_ca=d',
        '[d]',
        `database=${dir.path('index')}`,
        `certificate=${dir.path('ca.pem')}`,
        `private_key=${dir.path('ca.key')}`,
        `crlnumber=${dir.path('crlnumber')}`,
        'default_md=sha256',
        'default_crl_days=1',
        '[crl_ext]',
        'authorityKeyIdentifier=keyid:always',
      ].join('\n'),
    );
    openssl(['ca', '-config', dir.path('ca.cnf'), '-revoke', dir.path('leaf.pem'), '-crl_reason', 'keyCompromise']);
    const crl = pemToDer(openssl(['ca', '-config', dir.path('ca.cnf'), '-gencrl', '-crlexts', 'crl_ext']));
    samples = [leaf.certificateDer, rsaLeaf.certificateDer, pemToDer(ca.certificatePem), csr, crl];
    store = createTrustStore([{ id: 'ca', certificate: ca.certificatePem }]);
  });
  afterAll(() => dir.remove());

  const entryPoints: [string, (bytes: Uint8Array) => unknown][] = [
    ['inspectCertificate', (b) => inspectCertificate(b)],
    ['TrustStore.verify', (b) => store.verify(b)],
    ['validateCaCertificate', (b) => validateCaCertificate(encodePem('CERTIFICATE', b))],
    ['inspectCertificateChain', (b) => inspectCertificateChain(encodePem('CERTIFICATE', b) + encodePem('CERTIFICATE', b))],
    ['inspectCsr', (b) => inspectCsr(b)],
    [
      'parseCrl',
      (b) => {
        const crl = parseCrl(b);
        checkCrlCurrent(crl, new Date());
        return verifyCrlSignature(crl, caPem);
      },
    ],
  ];

  /** One mutation of a valid encoding, as fast-check describes it. */
  const mutation = fc.oneof(
    fc.record({ kind: fc.constant('flip' as const), at: fc.nat(), bit: fc.integer({ min: 0, max: 7 }) }),
    fc.record({ kind: fc.constant('truncate' as const), at: fc.nat() }),
    fc.record({ kind: fc.constant('set' as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
    fc.record({
      kind: fc.constant('length' as const),
      at: fc.nat(),
      length: fc.constantFrom(
        [0x80],
        [0x81, 0x00],
        [0x81, 0x7f],
        [0x82, 0x00, 0x80],
        [0x84, 0xff, 0xff, 0xff, 0xff],
        [0x85, 0x01, 0x00, 0x00, 0x00, 0x00],
        [0xff],
        [0x00],
      ),
    }),
    fc.record({ kind: fc.constant('insert' as const), at: fc.nat(), bytes: fc.uint8Array({ minLength: 1, maxLength: 16 }) }),
    fc.record({ kind: fc.constant('remove' as const), at: fc.nat(), count: fc.integer({ min: 1, max: 16 }) }),
  );
  type Mutation = typeof mutation extends fc.Arbitrary<infer T> ? T : never;

  function mutate(base: Uint8Array, edits: readonly Mutation[]): Uint8Array {
    let bytes = new Uint8Array(base);
    for (const edit of edits) {
      if (bytes.length === 0) break;
      const at = edit.at % bytes.length;
      switch (edit.kind) {
        case 'flip':
          bytes[at] = bytes[at]! ^ (1 << edit.bit);
          break;
        case 'truncate':
          bytes = bytes.subarray(0, at);
          break;
        case 'set':
          bytes[at] = edit.value;
          break;
        case 'length':
          // Replaces the length octets of whatever element starts at `at` (or pretends one does).
          bytes = Uint8Array.from([...bytes.subarray(0, at + 1), ...edit.length, ...bytes.subarray(at + 2)]);
          break;
        case 'insert':
          bytes = Uint8Array.from([...bytes.subarray(0, at), ...edit.bytes, ...bytes.subarray(at)]);
          break;
        case 'remove':
          bytes = Uint8Array.from([...bytes.subarray(0, at), ...bytes.subarray(at + edit.count)]);
          break;
      }
    }
    return bytes;
  }

  it.each(entryPoints)('%s: mutated valid DER from openssl and libs/pki', (_name, parse) => {
    fc.assert(
      fc.property(fc.nat(), fc.array(mutation, { minLength: 1, maxLength: 6 }), (which, edits) =>
        survives(() => parse(mutate(samples[which % samples.length]!, edits))),
      ),
      { numRuns: 400 },
    );
  });

  it.each(entryPoints)('%s: random bytes, bare and behind a SEQUENCE header', (_name, parse) => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 2000 }), (bytes) => survives(() => parse(bytes))),
      { numRuns: 200 },
    );
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 1, maxLength: 2000 }), (bytes) =>
        survives(() => parse(Uint8Array.of(0x30, 0x82, bytes.length >> 8, bytes.length & 0xff, ...bytes))),
      ),
      { numRuns: 200 },
    );
  });

  it.each(entryPoints)('%s: deep nesting, definite and indefinite, alone and inside a valid prefix', (_name, parse) => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 30_000 }),
        fc.constantFrom(0x30, 0x31, 0xa0, 0xa3, 0x24),
        fc.uint8Array({ maxLength: 8 }),
        fc.nat(),
        (depth, tag, inner, which) => {
          const deep = nested(depth, inner, tag);
          const base = samples[which % samples.length]!;
          // A valid element's content replaced by the nest: the schema walk meets it at once.
          const spliced = Uint8Array.from([...base.subarray(0, 8), ...deep]);
          const indefinite = new Uint8Array(2 * Math.min(depth, 10_000)).map((_, i) => (i % 2 === 0 ? tag : 0x80));
          return survives(() => parse(deep)) && survives(() => parse(spliced)) && survives(() => parse(indefinite));
        },
      ),
      { numRuns: 60 },
    );
  });

  it('PEM framing: random text of PEM-ish pieces never throws and never hangs in any parser', () => {
    const piece = fc.oneof(
      fc.constantFrom(
        '-----BEGIN CERTIFICATE-----',
        '-----END CERTIFICATE-----',
        '-----BEGIN X509 CRL-----',
        '-----END X509 CRL-----',
        '-----BEGIN CERTIFICATE REQUEST-----',
        '-----BEGIN PRIVATE KEY-----',
        '-----END PRIVATE KEY-----',
        '-----BEGIN PUBLIC KEY-----',
        '-----END PUBLIC KEY-----',
        '-----BEGIN -----',
        '-----BEGIN CERTIFICATE',
        '-----',
        'Proc-Type: 4,ENCRYPTED',
        '\n',
        '\r\n',
        '  ',
        '\t',
        '=',
        '==',
        'MIIB',
        'AAAA',
      ),
      fc.stringMatching(/^[A-Za-z0-9+/=]{0,80}$/),
      fc.string({ maxLength: 20 }),
    );
    const texts = fc.array(piece, { maxLength: 60 }).map((pieces) => pieces.join(''));
    fc.assert(
      fc.property(texts, (text) => {
        const decoded = survivesPem(text);
        const bytes = new TextEncoder().encode(text);
        return (
          decoded &&
          survives(() => inspectCertificate(text)) &&
          survives(() => inspectCertificate(bytes)) &&
          survives(() => validateCaCertificate(text)) &&
          survives(() => inspectCertificateChain(text)) &&
          survives(() => inspectCsr(text)) &&
          survives(() => parseCrl(text)) &&
          survives(() => parseCrl(bytes)) &&
          survives(() => readPrivateKeyPem(text)) &&
          survives(() => readPublicKeyPem(text))
        );
      }),
      { numRuns: 500 },
    );
  });

  it('PEM framing: any line width, CRLF and indentation decode to the same bytes; bad base64 is a problem, not a throw', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 1, maxLength: 600 }),
        fc.integer({ min: 1, max: 120 }),
        fc.constantFrom('\n', '\r\n'),
        fc.constantFrom('', '  ', '\t'),
        (der, width, eol, indent) => {
          const b64 = Buffer.from(der).toString('base64');
          const lines: string[] = [];
          for (let i = 0; i < b64.length; i += width) lines.push(`${indent}${b64.slice(i, i + width)}`);
          const text = ['explanatory text', '-----BEGIN X509 CRL-----', ...lines, '-----END X509 CRL-----', ''].join(eol);
          const decoded = decodePem(text);
          return decoded.ok && decoded.blocks.length === 1 && Buffer.from(decoded.blocks[0]!.der).equals(Buffer.from(der));
        },
      ),
      { numRuns: 300 },
    );
    // The scanner accepts exactly the canonical base64 grammar the former regular expression
    // described (which is fine as a reference on short bodies).
    const grammar = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
    fc.assert(
      fc.property(fc.array(fc.stringMatching(/^[A-Za-z0-9+/=]{0,12}$/), { minLength: 1, maxLength: 8 }), (lines) => {
        const decoded = decodePem(['-----BEGIN CERTIFICATE-----', ...lines, '-----END CERTIFICATE-----'].join('\n'));
        const body = lines.join('');
        expect(decoded.ok, JSON.stringify(lines)).toBe(body.length > 0 && grammar.test(body));
        return true;
      }),
      { numRuns: 1000 },
    );
  });

  it('decodes a 12 MB single-line and a 30 MB multi-line PEM body in linear time, without a stack overflow', () => {
    for (const width of [12_000_000, 64]) {
      const der = new Uint8Array(width === 64 ? 22_500_000 : 9_000_000).fill(0x5a);
      const b64 = Buffer.from(der).toString('base64');
      const lines: string[] = [];
      for (let i = 0; i < b64.length; i += width) lines.push(b64.slice(i, i + width));
      const text = `-----BEGIN X509 CRL-----\n${lines.join('\n')}\n-----END X509 CRL-----\n`;
      const started = performance.now();
      const decoded = decodePem(text);
      expect(performance.now() - started).toBeLessThan(10_000);
      expect(decoded.ok && decoded.blocks[0]!.der.length).toBe(der.length);
      // One stray character at the very end is still found.
      expect(decodePem(text.replace('\n-----END', '*\n-----END'))).toMatchObject({ ok: false });
    }
  });
});

function survivesPem(text: string): boolean {
  const started = performance.now();
  const decoded = decodePem(text);
  expect(typeof decoded.ok).toBe('boolean');
  return performance.now() - started < maxCaseMs;
}

import { describe, expect, it } from 'vitest';
import { PkiError } from '../pki-error.ts';
import { DerReader } from './der-reader.ts';

const reader = (hex: string): DerReader => new DerReader(Uint8Array.from(Buffer.from(hex, 'hex')), 'Certificate.Malformed');

function failure(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(PkiError);
    expect((error as PkiError).code).toBe('Certificate.Malformed');
    return (error as PkiError).detail ?? '';
  }
  throw new Error('expected a PkiError');
}

describe('der-reader', () => {
  it('refuses truncated input at every length', () => {
    const full = '300a06032a030402030100ff';
    for (let n = 0; n < full.length - 2; n += 2) {
      const der = reader(full.slice(0, n));
      failure(() => der.children(der.root()));
    }
  });

  it('refuses indefinite, non-minimal and oversized lengths', () => {
    expect(failure(() => reader('3080').root())).toContain('indefinite');
    expect(failure(() => reader('04810100').root())).toContain('non-minimal');
    expect(failure(() => reader('0482000100').root())).toContain('non-minimal');
    expect(failure(() => reader('0485ffffffffff').root())).toContain('too large');
    expect(failure(() => reader('0484ffffffff00').root())).toContain('past its container');
  });

  it('refuses trailing bytes, high tag numbers and elements running past their parent', () => {
    expect(failure(() => reader('050000').root())).toContain('trailing');
    expect(failure(() => reader('1f0100').root())).toContain('high tag');
    const der = reader('30030405aa');
    expect(failure(() => der.children(der.root()))).toContain('past its container');
  });

  it('refuses non-minimal integers but reads minimal ones', () => {
    const der = reader('0202007f');
    expect(failure(() => der.integer(der.root(), 'n'))).toContain('non-minimal');
    const ok = reader('02020080');
    expect(ok.smallInteger(ok.root(), 'n')).toBe(128);
    const negative = reader('0201ff');
    expect(failure(() => negative.smallInteger(negative.root(), 'n'))).toContain('out of range');
  });

  it('decodes OIDs with large arcs and refuses malformed ones', () => {
    const der = reader('06146983f09da7ebcfdee0c7a1a7b2c0948cc8f9d776');
    expect(der.oid(der.root(), 'oid')).toBe('2.25.329800735698586629295641978511506172918');
    const truncated = reader('06022a86');
    expect(failure(() => truncated.oid(truncated.root(), 'oid'))).toContain('truncated');
    const padded = reader('06032a8001');
    expect(failure(() => padded.oid(padded.root(), 'oid'))).toContain('non-minimal');
  });

  it('reads times strictly: seconds and Z required, calendar checked', () => {
    const utc = reader(`170d${Buffer.from('491231235959Z').toString('hex')}`);
    expect(utc.time(utc.root(), 't')).toEqual(new Date('2049-12-31T23:59:59Z'));
    const y1950 = reader(`170d${Buffer.from('500101000000Z').toString('hex')}`);
    expect(y1950.time(y1950.root(), 't')).toEqual(new Date('1950-01-01T00:00:00Z'));
    for (const bad of ['4912312359Z', '491231235959+0100', '490230000000Z', '491301000000Z', '491231246000Z']) {
      const der = reader(`17${bad.length.toString(16).padStart(2, '0')}${Buffer.from(bad).toString('hex')}`);
      failure(() => der.time(der.root(), 't'));
    }
  });

  it('decodes string types and refuses invalid text', () => {
    const bmp = reader('1e04006100e9');
    expect(bmp.text(bmp.root(), 's')).toBe('aé');
    const universal = reader('1c080000006100000161');
    expect(universal.text(universal.root(), 's')).toBe('aš');
    const badUtf8 = reader('0c02c328');
    expect(failure(() => badUtf8.text(badUtf8.root(), 's'))).toContain('UTF-8');
    const badPrintable = reader('1301e9');
    expect(failure(() => badPrintable.text(badPrintable.root(), 's'))).toContain('non-ASCII');
    const notText = reader('020101');
    expect(notText.text(notText.root(), 's')).toBeNull();
  });
});

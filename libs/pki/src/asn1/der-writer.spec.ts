import { describe, expect, it } from 'vitest';
import { DerReader } from './der-reader.ts';
import { Tag } from './der-tag.ts';
import {
  derBitString,
  derBmpString,
  derNamedBits,
  derOctetString,
  derOid,
  derSequence,
  derSetOf,
  derSmallInteger,
  derTime,
  derTlv,
  derUnsignedInteger,
} from './der-writer.ts';

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

describe('der-writer', () => {
  it('encodes short and long lengths minimally', () => {
    expect(hex(derOctetString(new Uint8Array(3)))).toBe('0403000000');
    expect(hex(derOctetString(new Uint8Array(127)).subarray(0, 2))).toBe('047f');
    expect(hex(derOctetString(new Uint8Array(128)).subarray(0, 3))).toBe('048180');
    expect(hex(derOctetString(new Uint8Array(256)).subarray(0, 4))).toBe('04820100');
    expect(hex(derOctetString(new Uint8Array(70_000)).subarray(0, 5))).toBe('0483011170');
  });

  it('encodes non-negative integers in minimal two’s complement', () => {
    expect(hex(derSmallInteger(0))).toBe('020100');
    expect(hex(derSmallInteger(127))).toBe('02017f');
    expect(hex(derSmallInteger(128))).toBe('02020080');
    expect(hex(derSmallInteger(65537))).toBe('0203010001');
    expect(hex(derUnsignedInteger(Uint8Array.of(0, 0, 0x12)))).toBe('020112');
    expect(hex(derUnsignedInteger(Uint8Array.of(0xff, 0x01)))).toBe('020300ff01');
  });

  it('encodes object identifiers, including large arcs', () => {
    expect(hex(derOid('1.2.840.10045.2.1'))).toBe('06072a8648ce3d0201');
    expect(hex(derOid('2.5.29.37.0'))).toBe('0604551d2500');
    expect(hex(derOid('2.25.329800735698586629295641978511506172918'))).toBe(
      '06146983f09da7ebcfdee0c7a1a7b2c0948cc8f9d776', // as `openssl asn1parse -genstr OID:…` encodes it
    );
  });

  it('encodes named bit lists without trailing zero bits', () => {
    expect(hex(derNamedBits([0]))).toBe('03020780'); // digitalSignature
    expect(hex(derNamedBits([0, 2]))).toBe('030205a0'); // + keyEncipherment
    expect(hex(derNamedBits([5, 6]))).toBe('03020106'); // keyCertSign + cRLSign
    expect(hex(derNamedBits([8]))).toBe('0303070080'); // decipherOnly
  });

  it('sorts SET OF elements by their encoding', () => {
    const a = derTlv(Tag.Utf8String, Uint8Array.of(0x62));
    const b = derTlv(Tag.Utf8String, Uint8Array.of(0x61));
    expect(hex(derSetOf([a, b]))).toBe(`3106${hex(b)}${hex(a)}`);
  });

  it('writes UTCTime up to 2049 and GeneralizedTime from 2050, in whole seconds', () => {
    expect(Buffer.from(derTime(new Date('2049-12-31T23:59:59.999Z')).subarray(2)).toString()).toBe('491231235959Z');
    expect(Buffer.from(derTime(new Date('2050-01-01T00:00:00Z')).subarray(2)).toString()).toBe('20500101000000Z');
    expect(derTime(new Date('1950-01-01T00:00:00Z'))[0]).toBe(Tag.UtcTime);
    expect(derTime(new Date('1949-12-31T23:59:59Z'))[0]).toBe(Tag.GeneralizedTime);
  });

  it('writes BMPString as UTF-16BE', () => {
    expect(hex(derBmpString('aé'))).toBe('1e04006100e9');
  });

  it('round-trips through the reader', () => {
    const date = new Date('2031-05-06T07:08:09Z');
    const encoded = derSequence(derOid('1.2.3.4'), derSmallInteger(300), derTime(date), derBitString(Uint8Array.of(1, 2), 0));
    const der = new DerReader(encoded, 'Certificate.Malformed');
    const [oid, int, time, bits] = der.sequence(der.root(), 'test', 4, 4);
    expect(der.oid(oid, 'oid')).toBe('1.2.3.4');
    expect(der.smallInteger(int, 'int')).toBe(300);
    expect(der.time(time, 'time')).toEqual(date);
    expect(hex(der.bitString(bits, 'bits').bytes)).toBe('0102');
  });
});

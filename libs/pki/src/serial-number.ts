import crypto from 'node:crypto';
import { PkiError } from './pki-error.ts';

/**
 * A fresh serial number: 128 random bits as a positive INTEGER's magnitude (RFC 5280 allows
 * 20 octets; the CA/Browser Forum asks for at least 64 random bits). Zero, which is not a
 * positive serial, is redrawn.
 */
export function randomSerial(): Uint8Array {
  for (;;) {
    const bytes = new Uint8Array(crypto.randomBytes(16));
    if (bytes.some((b) => b !== 0)) return bytes;
  }
}

/**
 * The normalised hex form of a serial's INTEGER bytes: lowercase, no separators, no leading
 * zero bytes (one `00` for zero). It equals OpenSSL's `-serial` output lowercased, and is the
 * key revocation sets and CRL entries are matched on.
 */
export function serialHex(serial: Uint8Array): string {
  let start = 0;
  while (start < serial.length - 1 && serial[start] === 0) start++;
  return Buffer.from(serial.buffer, serial.byteOffset + start, serial.length - start).toString('hex');
}

/**
 * Normalises a serial number typed or pasted by a person (`0A:1B:2C`, `0a1b2c`, `A 1B 2C`) to
 * the form of {@link serialHex}. Throws `SerialNumber.Malformed` for anything but hex digits
 * with optional `:`/space separators, or more than 20 octets (RFC 5280's limit).
 */
export function normaliseSerialHex(text: string): string {
  const digits = text.replace(/[:\s]/g, '').toLowerCase();
  if (!/^[0-9a-f]+$/.test(digits))
    throw new PkiError('SerialNumber.Malformed', { detail: 'only hex digits with optional colons or spaces' });
  const even = digits.length % 2 === 0 ? digits : `0${digits}`;
  if (even.length > 40) throw new PkiError('SerialNumber.Malformed', { detail: `${even.length / 2} octets` });
  return serialHex(Buffer.from(even, 'hex'));
}

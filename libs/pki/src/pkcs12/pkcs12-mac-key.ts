import crypto from 'node:crypto';
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';

// SHA-256 output and block sizes (u and v in RFC 7292 appendix B).
const u = 32;
const v = 64;
// The iterated hash runs in JavaScript (~1.8 µs per iteration); yielding every so many
// iterations keeps a 10,000-iteration derivation from holding the event loop for ~18 ms.
const iterationsPerSlice = 2048;

/** The password as RFC 7292 B.1 wants it: BMPString (UTF-16BE) with a two-byte zero terminator. */
function bmpPassword(password: string): Uint8Array {
  const out = new Uint8Array(password.length * 2 + 2);
  for (let i = 0; i < password.length; i++) {
    const unit = password.charCodeAt(i);
    out[2 * i] = unit >> 8;
    out[2 * i + 1] = unit & 0xff;
  }
  return out;
}

function repeatToBlocks(bytes: Uint8Array): Uint8Array {
  if (bytes.length === 0) return bytes;
  const out = new Uint8Array(v * Math.ceil(bytes.length / v));
  for (let i = 0; i < out.length; i++) out[i] = bytes[i % bytes.length]!;
  return out;
}

/**
 * The PKCS#12 MAC key (RFC 7292 appendix B.2, ID 3) for HMAC-SHA256: 32 bytes. The appendix's
 * general algorithm concatenates several hash outputs when more key material than one hash is
 * needed; an HMAC-SHA256 key is exactly one output (n = u), so a single block A1 is computed.
 */
export async function pkcs12MacKey(password: string, salt: Uint8Array, iterations: number): Promise<Uint8Array> {
  const diversifier = new Uint8Array(v).fill(3);
  const s = repeatToBlocks(salt);
  const p = repeatToBlocks(bmpPassword(password));
  const input = new Uint8Array(v + s.length + p.length);
  input.set(diversifier, 0);
  input.set(s, v);
  input.set(p, v + s.length);
  let a: Buffer = crypto.hash('sha256', input, 'buffer');
  for (let i = 1; i < iterations; i++) {
    a = crypto.hash('sha256', a, 'buffer');
    if (i % iterationsPerSlice === 0) await yieldToEventLoop();
  }
  return new Uint8Array(a.subarray(0, u));
}

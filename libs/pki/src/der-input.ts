import { decodePem } from './pem.ts';
import { PkiError } from './pki-error.ts';
import type { PkiErrorCode } from './pki-error.ts';

/** How one DER object is taken from user input: accepted PEM labels, size bound, error codes. */
export interface DerInputRules {
  readonly labels: readonly string[];
  readonly maxDerBytes: number;
  readonly malformed: PkiErrorCode;
  readonly tooLarge: PkiErrorCode;
  readonly multiple: PkiErrorCode;
}

const latin1 = new TextDecoder('latin1');

/**
 * The DER bytes of exactly one object given as PEM text, PEM bytes, or DER bytes (a buffer
 * starting with a SEQUENCE tag is DER; anything else is read as text). Size is checked before
 * any decoding: PEM text may be about twice its DER size (base64, line breaks and explanatory
 * text), DER no larger than `maxDerBytes`. Several blocks with an accepted label are refused
 * with `multiple`; a block with any other label (a private key pasted by mistake) is malformed.
 * The returned bytes are not yet parsed: they are at most one well-framed PEM payload.
 */
export function readOneDer(input: string | Uint8Array, rules: DerInputRules): Uint8Array {
  if (input.length === 0) throw new PkiError(rules.malformed, { detail: 'empty input' });
  if (typeof input !== 'string' && input[0] === 0x30) {
    if (input.length > rules.maxDerBytes) throw tooLarge(rules, input.length);
    return input;
  }
  if (input.length > 2 * rules.maxDerBytes + 4096) throw tooLarge(rules, input.length);
  const text = typeof input === 'string' ? input : latin1.decode(input);
  if (text.trim().length === 0) throw new PkiError(rules.malformed, { detail: 'empty input' });
  const decoded = decodePem(text);
  if (!decoded.ok) throw new PkiError(rules.malformed, { detail: decoded.problem });
  const foreign = decoded.blocks.find((b) => !rules.labels.includes(b.label));
  if (foreign !== undefined) {
    throw new PkiError(rules.malformed, { detail: `expected ${rules.labels[0]}, found a ${foreign.label} block` });
  }
  if (decoded.blocks.length > 1) {
    throw new PkiError(rules.multiple, { detail: `found ${decoded.blocks.length} ${rules.labels[0]} blocks` });
  }
  const der = decoded.blocks[0]!.der;
  if (der.length > rules.maxDerBytes) throw tooLarge(rules, der.length);
  return der;
}

function tooLarge(rules: DerInputRules, size: number): PkiError {
  return new PkiError(rules.tooLarge, { detail: `${size} bytes given, at most ${rules.maxDerBytes} bytes of DER accepted` });
}

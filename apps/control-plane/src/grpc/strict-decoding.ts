import { status, type ServerInterceptingCallInterface, type ServiceDefinition } from '@grpc/grpc-js';
import { BinaryReader, WireType } from '@bufbuild/protobuf/wire';
import { ApiError } from '../domain/api-error.ts';
import { grpcStatusOf } from './grpc-status.ts';

/**
 * Request decoding that refuses what protobuf would silently change. The generated decoders
 * read every varint of 32 bits (tags, lengths, `uint32` and `int32` fields, enums) through
 * `uint32()`/`int32()`, which keep the low 32 bits: `validity_days = 2^32 + 30` became 30
 * and a page number of 2^40 became 0 ("default"). This reader refuses such a value instead,
 * and refuses text that is not UTF-8 (proto3 `string` must be), where the default reader
 * substituted U+FFFD.
 */
export class StrictReader extends BinaryReader {
  constructor(bytes: Uint8Array) {
    super(bytes);
    // BinaryReader sets `uint32` per instance, so it is wrapped here rather than overridden.
    const readVarint32 = this.uint32;
    this.uint32 = () => {
      const start = this.pos;
      const value = readVarint32.call(this);
      const length = this.pos - start;
      // A uint32 takes at most 5 bytes, the fifth holding only 4 bits.
      if (length > 5 || (length === 5 && bytes[this.pos - 1]! > 0x0f)) throw new RangeError('varint out of uint32 range');
      return value;
    };
  }

  override int32(): number {
    // Negative int32 values are sign-extended to 10 bytes on the wire: read all 64 bits.
    const value = BigInt(this.int64());
    if (value < -0x8000_0000n || value > 0x7fff_ffffn) throw new RangeError('varint out of int32 range');
    return Number(value);
  }

  override string(): string {
    return super.string(true);
  }
}

const malformed = Symbol('malformed request');

/** What a wrapped deserializer hands on for bytes that are not a valid message of its type. */
interface MalformedRequest {
  readonly [malformed]: true;
}

/**
 * `definition` with request deserializers that decode with `StrictReader` and, for bytes
 * that are not a valid request message, hand on a marker instead of throwing: grpc-js ends
 * a call whose deserializer throws with INTERNAL, but a malformed request is the caller's
 * mistake, which `checkDecoded` (in the unary handler) turns into INVALID_ARGUMENT. The
 * generated `decode` reads from the reader it is given, so the strict reader takes effect
 * in nested messages too.
 */
export function strictDefinition<D extends ServiceDefinition>(definition: D): D {
  const wrapped: Record<string, unknown> = {};
  for (const [name, method] of Object.entries(definition)) {
    wrapped[name] = {
      ...method,
      requestDeserialize: (bytes: Buffer): unknown => {
        try {
          checkFraming(bytes);
          return method.requestDeserialize(new StrictReader(bytes) as unknown as Buffer);
        } catch {
          return { [malformed]: true } satisfies MalformedRequest;
        }
      },
    };
  }
  return wrapped as D;
}

/**
 * Walks the top-level fields of `bytes`: the generated decoders stop at a stray end-group
 * or a zero tag and ignore the rest, which this refuses (as it does a group left open).
 */
function checkFraming(bytes: Uint8Array): void {
  const reader = new BinaryReader(bytes);
  while (reader.pos < reader.len) {
    const [fieldNo, wireType] = reader.tag();
    if (wireType === WireType.EndGroup) throw new RangeError('end-group without a start');
    reader.skip(wireType, fieldNo);
  }
}

/**
 * grpc-js ends a call whose compressed request does not decompress (`grpc-encoding: gzip`
 * with bytes that are not gzip) with INTERNAL from inside its own call object, past every
 * interceptor's `sendStatus`. This rewrites exactly that status, on the innermost call
 * (what the first server interceptor is given), to INVALID_ARGUMENT with the catalogue's
 * trailers: the caller sent a broken message.
 */
export function refuseUndecompressable(call: ServerInterceptingCallInterface, requestId: string): void {
  const sendStatus = call.sendStatus.bind(call);
  call.sendStatus = (sent) => {
    const undecompressable = sent.code === status.INTERNAL && sent.details === 'Failed to decompress message';
    sendStatus(undecompressable ? grpcStatusOf(new ApiError('Request.MalformedMessage'), requestId) : sent);
  };
}

/** Throws `Request.MalformedMessage` for a request that `strictDefinition` could not decode. */
export function checkDecoded(request: unknown): void {
  if (typeof request === 'object' && request !== null && malformed in request) throw new ApiError('Request.MalformedMessage');
}

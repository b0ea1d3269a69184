import { normaliseHost } from '@portcullis/config';

/**
 * What the first bytes of a connection say about the server name it wants:
 * - `incomplete`: the ClientHello has not fully arrived; read more and ask again;
 * - `complete`: a whole ClientHello; `serverName` is its SNI host_name in canonical form,
 *   undefined when the client sent none;
 * - `invalid`: not a TLS ClientHello, over the size bound, or malformed; close the connection.
 */
export type ClientHelloResult =
  | { readonly status: 'incomplete' }
  | { readonly status: 'complete'; readonly serverName: string | undefined }
  | { readonly status: 'invalid'; readonly reason: string };

/**
 * The largest ClientHello the edge reads (handshake message bytes). Real ones are well under
 * 2 KiB, post-quantum key shares included; the bound keeps a slow or hostile client from
 * making the edge buffer much before TLS even starts.
 */
export const maxClientHelloBytes = 16_384;

const recordHeaderBytes = 5;
const handshakeRecord = 22;
const clientHelloMessage = 1;
const serverNameExtension = 0;
const hostNameType = 0;
const incomplete: ClientHelloResult = Object.freeze({ status: 'incomplete' });

/**
 * Reads the SNI of a TLS ClientHello from the bytes received so far (`bytes` starts at the
 * connection's first byte). The ClientHello may span several handshake records; every length
 * is checked against what encloses it, nothing is read past `bytes`, and the work is bounded
 * by `maxClientHelloBytes`. Never throws.
 */
export function readClientHello(bytes: Uint8Array): ClientHelloResult {
  if (bytes.length > 0 && bytes[0] !== handshakeRecord) return invalid('not a TLS handshake record');
  const fragments: Uint8Array[] = [];
  let handshakeBytes = 0;
  let offset = 0;
  while (offset + recordHeaderBytes <= bytes.length) {
    if (bytes[offset] !== handshakeRecord) return invalid('a ClientHello record is followed by a record of another type');
    if (bytes[offset + 1] !== 3) return invalid('not a TLS record version');
    const length = (bytes[offset + 3]! << 8) | bytes[offset + 4]!;
    if (length === 0) return invalid('an empty handshake record');
    if (length > 16_384) return invalid('a record longer than TLS allows');
    if (offset + recordHeaderBytes + length > bytes.length) break;
    fragments.push(bytes.subarray(offset + recordHeaderBytes, offset + recordHeaderBytes + length));
    handshakeBytes += length;
    offset += recordHeaderBytes + length;
    if (handshakeBytes >= 4) {
      const handshake = fragments.length === 1 ? fragments[0]! : concat(fragments, handshakeBytes);
      if (handshake[0] !== clientHelloMessage) return invalid('the first handshake message is not a ClientHello');
      const messageLength = (handshake[1]! << 16) | (handshake[2]! << 8) | handshake[3]!;
      if (messageLength > maxClientHelloBytes) return invalid(`a ClientHello over ${maxClientHelloBytes} bytes`);
      if (handshakeBytes >= 4 + messageLength) return parseClientHello(handshake.subarray(4, 4 + messageLength));
    }
  }
  // Tiny records could otherwise make the buffer grow without the message ever completing.
  if (bytes.length > 2 * maxClientHelloBytes) return invalid(`a ClientHello over ${maxClientHelloBytes} bytes`);
  return incomplete;
}

function parseClientHello(body: Uint8Array): ClientHelloResult {
  const reader = new Reader(body);
  reader.skip(2 + 32); // legacy_version, random
  reader.skip(reader.u8()); // legacy_session_id
  const cipherSuites = reader.u16();
  if (reader.failed) return invalid('a truncated ClientHello');
  if (cipherSuites === 0 || cipherSuites % 2 !== 0) return invalid('malformed cipher suites');
  reader.skip(cipherSuites);
  const compression = reader.u8();
  if (compression === 0) return invalid('malformed compression methods');
  reader.skip(compression);
  if (reader.failed) return invalid('a truncated ClientHello');
  // TLS 1.2 allows a ClientHello without extensions, hence without SNI.
  if (reader.remaining === 0) return { status: 'complete', serverName: undefined };
  const extensionsLength = reader.u16();
  if (reader.failed || extensionsLength !== reader.remaining) return invalid('malformed extensions');
  let serverName: string | undefined;
  let seen = false;
  while (reader.remaining > 0) {
    const type = reader.u16();
    const length = reader.u16();
    const data = reader.bytes(length);
    if (reader.failed || data === undefined) return invalid('a truncated extension');
    if (type !== serverNameExtension) continue;
    if (seen) return invalid('two server_name extensions');
    seen = true;
    const names = readServerNames(data);
    if (names.status !== 'ok') return invalid(names.reason);
    serverName = names.hostName;
  }
  return { status: 'complete', serverName };
}

function readServerNames(data: Uint8Array): { status: 'ok'; hostName: string | undefined } | { status: 'bad'; reason: string } {
  const reader = new Reader(data);
  const listLength = reader.u16();
  if (reader.failed || listLength !== reader.remaining || listLength === 0) return { status: 'bad', reason: 'malformed server_name list' };
  let hostName: string | undefined;
  while (reader.remaining > 0) {
    const type = reader.u8();
    const length = reader.u16();
    const name = reader.bytes(length);
    if (reader.failed || name === undefined || length === 0) return { status: 'bad', reason: 'malformed server_name entry' };
    if (type !== hostNameType || hostName !== undefined) continue;
    // The host_name is ASCII (RFC 6066); anything else cannot name a served hostname.
    for (const byte of name) if (byte < 0x21 || byte > 0x7e) return { status: 'bad', reason: 'a server name that is not ASCII' };
    const normalised = normaliseHost(Buffer.from(name.buffer, name.byteOffset, name.byteLength).toString('latin1'));
    if (normalised === undefined) return { status: 'bad', reason: 'a server name that is not a hostname' };
    hostName = normalised;
  }
  return { status: 'ok', hostName };
}

function invalid(reason: string): ClientHelloResult {
  return { status: 'invalid', reason };
}

function concat(parts: readonly Uint8Array[], length: number): Uint8Array {
  const out = new Uint8Array(length);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/** A cursor that never reads past its bytes: an overrun sets `failed` and yields zeros. */
class Reader {
  private readonly data: Uint8Array;
  private at = 0;
  failed = false;

  constructor(data: Uint8Array) {
    this.data = data;
  }

  get remaining(): number {
    return this.failed ? 0 : this.data.length - this.at;
  }

  private take(count: number): number {
    if (this.failed || this.at + count > this.data.length) {
      this.failed = true;
      return -1;
    }
    const start = this.at;
    this.at += count;
    return start;
  }

  u8(): number {
    const at = this.take(1);
    return at < 0 ? 0 : this.data[at]!;
  }

  u16(): number {
    const at = this.take(2);
    return at < 0 ? 0 : (this.data[at]! << 8) | this.data[at + 1]!;
  }

  skip(count: number): void {
    this.take(count);
  }

  bytes(count: number): Uint8Array | undefined {
    const at = this.take(count);
    return at < 0 ? undefined : this.data.subarray(at, at + count);
  }
}

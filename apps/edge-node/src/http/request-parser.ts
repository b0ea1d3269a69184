import { cString, instantiateLlhttp, llhttpErrno, type LlhttpExports } from './llhttp-wasm.ts';

/** The further llhttp functions this parser calls (llhttp's C API). */
interface Llhttp extends LlhttpExports {
  llhttp_get_method(parser: number): number;
  llhttp_method_name(method: number): number;
  llhttp_get_http_major(parser: number): number;
  llhttp_get_http_minor(parser: number): number;
}

/** llhttp's parser type for requests, and the `llhttp_errno` values acted on here. */
const typeRequest = 1;
const errOk = llhttpErrno.ok;
const errPaused = llhttpErrno.paused;
const errPausedUpgrade = 22;
const errUser = 24;

/**
 * Bytes a request line and header block may hold (names, values and target, as received): the
 * `maxHeaderSize` the edge gave node:http before (a larger head is answered 431).
 */
export const maxRequestHeadBytes = 32 * 1024;

/** A whole request head, as llhttp read it. */
export interface ParsedHead {
  readonly method: string;
  /** As sent, not decoded. */
  readonly target: string;
  /** `name, value, …` in order; values without surrounding whitespace. */
  readonly rawHeaders: string[];
  /** 0 for HTTP/1.0, 1 for HTTP/1.1. */
  readonly minorVersion: number;
  /** llhttp's verdict: the connection may carry another request after this one. */
  readonly keepAlive: boolean;
  /**
   * The request asks for a protocol upgrade or is a CONNECT: the edge never switches protocols,
   * and llhttp parses nothing after such a request.
   */
  readonly upgrade: boolean;
}

/** What the parser reports, synchronously from inside `execute`. */
export interface RequestEvents {
  /**
   * A head is whole. Answer `pause` to stop parsing right after it (the bytes after it are kept,
   * `resume()` goes on with them); `continue` to go on.
   */
  onHead(head: ParsedHead): 'continue' | 'pause';
  /** Body bytes (de-chunked); a copy, the receiver's to keep. */
  onBody(chunk: Buffer): void;
  /** The request's body is whole (at once for a request without one). */
  onComplete(): void;
}

/** How an `execute` or `resume` call ended. */
export type ParseOutcome =
  | { readonly kind: 'ok' }
  | { readonly kind: 'paused' }
  /** The head or framing is not strict HTTP/1.1: `status` 400, or 431 for a head over `maxRequestHeadBytes`. */
  | { readonly kind: 'error'; readonly status: 400 | 431; readonly reason: string };

const ok: ParseOutcome = Object.freeze({ kind: 'ok' });
const paused: ParseOutcome = Object.freeze({ kind: 'paused' });

let wasm: Llhttp | undefined;
/** The parser inside `llhttp_execute` now and its chunk: the instance calls back synchronously. */
const active: { parser: RequestParser | undefined; base: number; chunk: Buffer | undefined } = {
  parser: undefined,
  base: 0,
  chunk: undefined,
};
let bufferPointer = 0;
let bufferSize = 0;
const methodNames = new Map<number, string>();

function instance(): Llhttp {
  if (wasm) return wasm;
  const span = (at: number, length: number) => active.chunk!.subarray(at - active.base, at - active.base + length);
  wasm = instantiateLlhttp<Llhttp>({
    wasm_on_message_begin: () => active.parser!.messageBegin(),
    wasm_on_url: (_p: number, at: number, length: number) => active.parser!.url(span(at, length)),
    wasm_on_status: () => 0,
    wasm_on_header_field: (_p: number, at: number, length: number) => active.parser!.headerPart(true, span(at, length)),
    wasm_on_header_value: (_p: number, at: number, length: number) => active.parser!.headerPart(false, span(at, length)),
    wasm_on_headers_complete: (_p: number, _status: number, upgrade: number, keepAlive: number) =>
      active.parser!.headersComplete(upgrade === 1, keepAlive === 1),
    wasm_on_body: (_p: number, at: number, length: number) => active.parser!.body(span(at, length)),
    wasm_on_message_complete: () => active.parser!.messageComplete(),
  });
  return wasm;
}

/**
 * A strict HTTP/1.1 request parser for one client connection: llhttp in request mode with
 * every leniency flag off (llhttp_alloc's default), the parser node:http runs. So a body framed
 * two ways (Content-Length with Transfer-Encoding), two Content-Length fields, obs-fold, a bad
 * chunk size, a bare LF, a NUL or a CR inside a value, an invalid token byte is an error, never
 * a guess. Pipelined requests are parsed in order; a caller may pause after a head and resume.
 * Events come synchronously from inside `execute`/`resume`; they must not re-enter the parser.
 */
export class RequestParser {
  readonly #wasm = instance();
  #pointer = this.#wasm.llhttp_alloc(typeRequest);
  readonly #events: RequestEvents;
  /** Bytes after a pause, not parsed yet. */
  #rest: Buffer | undefined;
  #target = '';
  #headers: string[] = [];
  #lastWasValue = true;
  #headBytes = 0;
  #refusal: { status: 400 | 431; reason: string } | undefined;

  constructor(events: RequestEvents) {
    this.#events = events;
  }

  /** Parses `chunk`. After `paused`, call `resume()` before giving more; after `error`, nothing more. */
  execute(chunk: Buffer): ParseOutcome {
    if (this.#rest !== undefined) throw new Error('RequestParser.execute while paused');
    return this.#run(chunk);
  }

  /** Goes on after a pause with the bytes kept; `ok` when they are all parsed. */
  resume(): ParseOutcome {
    const rest = this.#rest;
    this.#rest = undefined;
    this.#wasm.llhttp_resume(this.#pointer);
    // Run even with no bytes left: a request without a body completes only once llhttp runs on.
    return this.#run(rest ?? Buffer.alloc(0));
  }

  /** Whether bytes after a pause wait for `resume()`. */
  get paused(): boolean {
    return this.#rest !== undefined;
  }

  /** Frees the parser; call once, when the connection is gone. */
  destroy(): void {
    if (this.#pointer === 0) return;
    this.#wasm.llhttp_free(this.#pointer);
    this.#pointer = 0;
  }

  #run(chunk: Buffer): ParseOutcome {
    const llhttp = this.#wasm;
    if (chunk.length > bufferSize) {
      if (bufferPointer) llhttp.free(bufferPointer);
      bufferSize = Math.ceil(chunk.length / 16_384) * 16_384;
      bufferPointer = llhttp.malloc(bufferSize);
    }
    new Uint8Array(llhttp.memory.buffer, bufferPointer, chunk.length).set(chunk);
    let code: number;
    active.parser = this;
    active.base = bufferPointer;
    active.chunk = chunk;
    try {
      code = llhttp.llhttp_execute(this.#pointer, bufferPointer, chunk.length);
    } finally {
      active.parser = undefined;
      active.chunk = undefined;
    }
    if (code === errOk) return ok;
    if (code === errPaused) {
      // Copied: the socket's chunk is not kept alive for a pause of unknown length.
      this.#rest = Buffer.from(chunk.subarray(llhttp.llhttp_get_error_pos(this.#pointer) - bufferPointer));
      return paused;
    }
    // After a request asking for an upgrade llhttp stops: the caller answers it and reads no more.
    if (code === errPausedUpgrade) return ok;
    if (code === errUser && this.#refusal) return { kind: 'error', ...this.#refusal };
    return { kind: 'error', status: 400, reason: cString(llhttp, llhttp.llhttp_get_error_reason(this.#pointer)) || `llhttp error ${code}` };
  }

  #count(length: number): number {
    this.#headBytes += length;
    if (this.#headBytes <= maxRequestHeadBytes) return 0;
    this.#refusal = { status: 431, reason: `a request head over ${maxRequestHeadBytes} bytes` };
    return -1;
  }

  /** @internal callbacks from the WebAssembly instance; each answers llhttp's callback code. */
  messageBegin(): number {
    this.#target = '';
    this.#headers = [];
    this.#lastWasValue = true;
    this.#headBytes = 0;
    return 0;
  }

  url(bytes: Buffer): number {
    this.#target += bytes.toString('latin1');
    return this.#count(bytes.length);
  }

  headerPart(field: boolean, bytes: Buffer): number {
    const text = bytes.toString('latin1');
    const headers = this.#headers;
    if (field) {
      if (this.#lastWasValue) headers.push(text, '');
      else headers[headers.length - 2] += text;
    } else if (this.#lastWasValue && headers.length > 0) headers[headers.length - 1] += text;
    else headers[headers.length - 1] = text;
    this.#lastWasValue = !field;
    return this.#count(bytes.length + 4);
  }

  headersComplete(upgrade: boolean, keepAlive: boolean): number {
    const llhttp = this.#wasm;
    const number = llhttp.llhttp_get_method(this.#pointer);
    let method = methodNames.get(number);
    if (method === undefined) {
      method = cString(llhttp, llhttp.llhttp_method_name(number));
      methodNames.set(number, method);
    }
    const headers = this.#headers;
    // llhttp leaves trailing whitespace of a value in the span (RFC 9110 §5.5 says to drop it).
    for (let i = 1; i < headers.length; i += 2) if (/[ \t]$/.test(headers[i]!)) headers[i] = headers[i]!.trimEnd();
    const answer = this.#events.onHead({
      method,
      target: this.#target,
      rawHeaders: headers,
      minorVersion: llhttp.llhttp_get_http_minor(this.#pointer),
      keepAlive,
      upgrade: upgrade || method === 'CONNECT',
    });
    return answer === 'pause' ? errPaused : 0;
  }

  body(bytes: Buffer): number {
    this.#events.onBody(Buffer.from(bytes));
    return 0;
  }

  messageComplete(): number {
    this.#events.onComplete();
    return 0;
  }
}

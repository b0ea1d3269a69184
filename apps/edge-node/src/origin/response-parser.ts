import { cString, instantiateLlhttp, llhttpErrno, type LlhttpExports } from '../http/llhttp-wasm.ts';

/** The further llhttp functions this parser calls (llhttp's C API). */
interface Llhttp extends LlhttpExports {
  llhttp_finish(parser: number): number;
  llhttp_errno_name(errno: number): number;
  llhttp_should_keep_alive(parser: number): number;
}

/** llhttp's parser type for responses, and the error numbers this file acts on (llhttp's `llhttp_errno`). */
const typeResponse = 2;
const errOk = llhttpErrno.ok;
const errPaused = llhttpErrno.paused;

/** Bytes of names and values a response head (or its trailers) may hold; nginx's default proxy buffers hold 4–8 KiB. */
export const maxResponseHeadBytes = 64 * 1024;

/** What the parser reports, in wire order, from inside `execute`/`finish`. */
export interface ResponseEvents {
  /** An interim (1xx other than 101) response is whole; the final response follows on the same connection. */
  onInformational(status: number): void;
  /** The final response's head is whole: status and flat name/value list as received. */
  onHead(status: number, headers: string[]): void;
  /** Body bytes (de-chunked). The buffer is a view of the chunk given to `execute`: valid as long as that chunk is. */
  onBody(chunk: Buffer): void;
  /**
   * The response is whole; `trailers` is the flat trailer list of a chunked body (usually
   * empty); `keepAlive` is llhttp's verdict once the framing is known (a HEAD response without
   * a length may be kept alive, a close-delimited one may not).
   */
  onComplete(trailers: string[], keepAlive: boolean): void;
}

/** How one `execute` or `finish` call ended. */
export type ParseResult =
  | { readonly kind: 'more' }
  /** The final response is whole in the first `consumed` bytes of the chunk; any after it are not part of it (a misbehaving origin). */
  | { readonly kind: 'complete'; readonly consumed: number }
  | { readonly kind: 'error'; readonly reason: string };

const more: ParseResult = Object.freeze({ kind: 'more' });

let instance: Llhttp | undefined;
/** The parser inside `llhttp_execute` now, and its chunk (WebAssembly calls back synchronously into one shared instance). */
const active: { parser: ResponseParser | undefined; chunk: Buffer | undefined } = { parser: undefined, chunk: undefined };
let bufferPointer = 0;
let bufferSize = 0;

function llhttp(): Llhttp {
  instance ??= instantiateLlhttp<Llhttp>({
    wasm_on_url: () => 0,
    wasm_on_status: () => 0,
    wasm_on_message_begin: () => active.parser!.messageBegin(),
    wasm_on_header_field: (_p: number, at: number, length: number) => active.parser!.headerPart(true, at, length),
    wasm_on_header_value: (_p: number, at: number, length: number) => active.parser!.headerPart(false, at, length),
    wasm_on_headers_complete: (_p: number, status: number, upgrade: number) => active.parser!.headersComplete(status, upgrade === 1),
    wasm_on_body: (_p: number, at: number, length: number) => active.parser!.body(at, length),
    wasm_on_message_complete: () => active.parser!.messageComplete(),
  });
  return instance;
}

/**
 * A strict HTTP/1.1 response parser for one origin connection: llhttp (the parser node:http
 * uses) with no leniency flag, so a response framed two ways (Content-Length with
 * Transfer-Encoding), a bad chunk size, an invalid header byte or a bare LF is an error, not a
 * guess. Events are reported to `events` synchronously from inside `execute`; the caller must
 * not re-enter the parser from them (collect, then act after `execute` returns).
 * Responses are not pipelined: after the final response the parser stops (`complete`), and
 * `next()` readies it for the response to the next request.
 */
export class ResponseParser {
  readonly #wasm = llhttp();
  #pointer: number = this.#wasm.llhttp_alloc(typeResponse);
  readonly #events: ResponseEvents;
  #headers: string[] = [];
  #headBytes = 0;
  #lastWasValue = false;
  #status = 0;
  #skipBody = false;
  #refusal: string | undefined;

  constructor(events: ResponseEvents) {
    this.#events = events;
  }

  /** Prepares for the response to a request; `bodyless` for a request whose response has no body (HEAD). */
  next(bodyless: boolean): void {
    this.#skipBody = bodyless;
  }

  /** Parses `chunk`, reporting events. After `complete` or `error`, call `next()` (or `destroy()`) before parsing again. */
  execute(chunk: Buffer): ParseResult {
    const wasm = this.#wasm;
    if (chunk.length > bufferSize) {
      if (bufferPointer) wasm.free(bufferPointer);
      bufferSize = Math.ceil(chunk.length / 16_384) * 16_384;
      bufferPointer = wasm.malloc(bufferSize);
    }
    new Uint8Array(wasm.memory.buffer, bufferPointer, chunk.length).set(chunk);
    let code: number;
    active.parser = this;
    active.chunk = chunk;
    try {
      code = wasm.llhttp_execute(this.#pointer, bufferPointer, chunk.length);
    } finally {
      active.parser = undefined;
      active.chunk = undefined;
    }
    return this.#result(code, () => wasm.llhttp_get_error_pos(this.#pointer) - bufferPointer);
  }

  /** The origin closed its side: completes a close-delimited body, or reports the response cut short. */
  finish(): ParseResult {
    let code: number;
    active.parser = this;
    try {
      code = this.#wasm.llhttp_finish(this.#pointer);
    } finally {
      active.parser = undefined;
    }
    return this.#result(code, () => 0);
  }

  /** Frees the parser's WebAssembly memory; the parser is unusable after. */
  destroy(): void {
    if (this.#pointer === 0) return;
    this.#wasm.llhttp_free(this.#pointer);
    this.#pointer = 0;
  }

  #result(code: number, position: () => number): ParseResult {
    if (code === errOk) return more;
    if (code === errPaused) {
      const consumed = position();
      this.#wasm.llhttp_resume(this.#pointer);
      return { kind: 'complete', consumed };
    }
    const reason =
      this.#refusal ??
      `${cString(this.#wasm, this.#wasm.llhttp_errno_name(code))}: ${cString(this.#wasm, this.#wasm.llhttp_get_error_reason(this.#pointer))}`;
    this.#refusal = undefined;
    return { kind: 'error', reason };
  }

  /** @internal llhttp callback. */
  messageBegin(): number {
    this.#headers = [];
    this.#headBytes = 0;
    this.#lastWasValue = false;
    return 0;
  }

  /** @internal llhttp callback: part of a header (or trailer) name or value; a name or value may come in several parts. */
  headerPart(isName: boolean, at: number, length: number): number {
    this.#headBytes += length;
    if (this.#headBytes > maxResponseHeadBytes) return this.#refuse(`response head over ${maxResponseHeadBytes} bytes`);
    const start = at - bufferPointer;
    const text = active.chunk!.toString('latin1', start, start + length);
    const headers = this.#headers;
    if (isName === this.#lastWasValue || headers.length === 0) {
      // A new name (after a value), or the first part of a value (after its name).
      headers.push(text);
    } else {
      headers[headers.length - 1] += text;
    }
    this.#lastWasValue = !isName;
    return 0;
  }

  /** @internal llhttp callback. Returns 1 (no body) for interim responses and bodyless requests. */
  headersComplete(status: number, upgrade: boolean): number {
    // The edge never asks an origin to switch protocols (Upgrade is hop-by-hop and dropped).
    if (status === 101 || upgrade) return this.#refuse('origin switched protocols unasked');
    this.#status = status;
    const headers = this.#headers;
    // Trailers of a chunked body start a fresh list.
    this.#headers = [];
    this.#lastWasValue = false;
    if (status < 200) return 1;
    this.#events.onHead(status, headers);
    return this.#skipBody ? 1 : 0;
  }

  /** @internal llhttp callback. */
  body(at: number, length: number): number {
    const start = at - bufferPointer;
    this.#events.onBody(active.chunk!.subarray(start, start + length));
    return 0;
  }

  /** @internal llhttp callback: pauses after a final response, so nothing after it is parsed as part of this exchange. */
  messageComplete(): number {
    if (this.#status < 200) {
      this.#events.onInformational(this.#status);
      return 0;
    }
    this.#events.onComplete(this.#headers, this.#wasm.llhttp_should_keep_alive(this.#pointer) === 1);
    this.#headers = [];
    return errPaused;
  }

  #refuse(reason: string): number {
    this.#refusal = reason;
    return -1;
  }
}

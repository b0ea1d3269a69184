import plainWasm from 'undici/lib/llhttp/llhttp-wasm.js';
import simdWasm from 'undici/lib/llhttp/llhttp_simd-wasm.js';

/** The part of the WebAssembly JS API used here (the project's `lib` leaves WebAssembly to the DOM types). */
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { readonly exports: object };
}

/** The functions of undici's llhttp WebAssembly build that both the request and the response parser call (llhttp's C API). */
export interface LlhttpExports {
  readonly memory: { readonly buffer: ArrayBuffer };
  llhttp_alloc(type: number): number;
  llhttp_free(parser: number): void;
  llhttp_execute(parser: number, data: number, length: number): number;
  llhttp_resume(parser: number): void;
  llhttp_get_error_pos(parser: number): number;
  llhttp_get_error_reason(parser: number): number;
  malloc(size: number): number;
  free(pointer: number): void;
}

/** llhttp's `llhttp_errno` values the parsers act on. */
export const llhttpErrno = { ok: 0, paused: 21 } as const;

let compiled: object | undefined;

/**
 * A new llhttp instance (its own memory) whose callbacks are `env` (`wasm_on_url`,
 * `wasm_on_headers_complete`, …). The module is compiled once per process: the SIMD build
 * where the runtime has WebAssembly SIMD, else the plain build, which parses the same.
 */
export function instantiateLlhttp<T extends LlhttpExports>(env: Record<string, (...args: number[]) => number | void>): T {
  const api = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;
  if (!compiled) {
    try {
      compiled = new api.Module(simdWasm);
    } catch {
      compiled = new api.Module(plainWasm);
    }
  }
  return new api.Instance(compiled, { env }).exports as T;
}

/** The NUL-terminated Latin-1 string at `pointer` in the instance's memory ('' for a null pointer). */
export function cString(wasm: LlhttpExports, pointer: number): string {
  if (pointer === 0) return '';
  const bytes = new Uint8Array(wasm.memory.buffer, pointer);
  return Buffer.from(bytes.subarray(0, bytes.indexOf(0))).toString('latin1');
}

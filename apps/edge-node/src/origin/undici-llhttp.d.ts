/** undici ships llhttp compiled to WebAssembly as CommonJS modules exporting the module's bytes. */
declare module 'undici/lib/llhttp/llhttp-wasm.js' {
  const bytes: Uint8Array;
  export default bytes;
}
declare module 'undici/lib/llhttp/llhttp_simd-wasm.js' {
  const bytes: Uint8Array;
  export default bytes;
}

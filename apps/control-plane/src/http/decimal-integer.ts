/**
 * A whole number written as decimal digits, the one spelling the API reads from text
 * (query strings, path parameters, forms, RPC parameters): no sign but `-`, no leading
 * zeros, spaces, fractions, exponents, hex, other scripts' digits or words (`true`), and at
 * most 15 digits, so `Number` reads it exactly. Anything else is `undefined`, never rounded.
 */
export function decimalInteger(text: string): number | undefined {
  return /^(?:0|-?[1-9]\d{0,14})$/.test(text) ? Number(text) : undefined;
}

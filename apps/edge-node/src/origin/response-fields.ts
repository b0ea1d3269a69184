/** Hop-by-hop fields (RFC 9110 §7.6.1): they describe one connection and are never forwarded. */
const hopByHop = new Set(['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade']);

/**
 * A flat response field list without hop-by-hop fields and without those the response's own
 * `Connection` field names (compared case-insensitively). The input is not changed.
 */
export function withoutHopByHop(fields: readonly string[]): string[] {
  let named: Set<string> | undefined;
  for (let i = 0; i < fields.length; i += 2) {
    if (fields[i]!.length === 10 && fields[i]!.toLowerCase() === 'connection') {
      named ??= new Set();
      for (const token of fields[i + 1]!.split(',')) named.add(token.trim().toLowerCase());
    }
  }
  const out: string[] = [];
  for (let i = 0; i < fields.length; i += 2) {
    const lower = fields[i]!.toLowerCase();
    if (hopByHop.has(lower) || named?.has(lower)) continue;
    out.push(fields[i]!, fields[i + 1]!);
  }
  return out;
}

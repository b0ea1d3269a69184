/**
 * A request head as the decision reads it, whatever parsed it: method, target as sent, and the
 * header fields in order as `name, value, name, value, …` (names as sent, values without the
 * whitespace around them).
 */
export interface RequestHead {
  /** The id the edge gave this request: in the logs, the error pages and `X-Request-Id`. */
  readonly requestId: string;
  readonly method: string;
  readonly target: string;
  readonly rawHeaders: readonly string[];
}

/** Header values by lower-case name, in the order received. */
export type HeaderValues = Readonly<Record<string, readonly string[] | undefined>>;

/** Groups a raw header list by lower-case name; made on an object without a prototype. */
export function headerValues(rawHeaders: readonly string[]): HeaderValues {
  const out: Record<string, string[]> = Object.create(null) as Record<string, string[]>;
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!.toLowerCase();
    const list = out[name];
    if (list) list.push(rawHeaders[i + 1]!);
    else out[name] = [rawHeaders[i + 1]!];
  }
  return out;
}

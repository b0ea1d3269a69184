import { parseSourceIp, type IpAddress } from './ip-address.ts';
import type { RequestFacts } from './request-facts.ts';

const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/**
 * One evaluation of one request: the facts plus the values derived from them, each computed
 * on first use and kept for the rest of the evaluation, so ten rules on `ip.src` parse the
 * address once and a ruleset that never reads it never parses it. Not shared across requests.
 */
export class EvaluationContext {
  readonly facts: RequestFacts;
  #sourceIp: IpAddress | null | undefined = undefined;
  #uri: string | undefined = undefined;

  constructor(facts: RequestFacts) {
    this.facts = facts;
  }

  /** The parsed source address, or null when the facts hold no valid address. */
  sourceIp(): IpAddress | null {
    if (this.#sourceIp === undefined) this.#sourceIp = parseSourceIp(this.facts.sourceIp);
    return this.#sourceIp;
  }

  /** Path and query as in the request line: `/p?q`, or `/p` when the query is empty. */
  uri(): string {
    if (this.#uri === undefined) {
      const { path, query } = this.facts;
      this.#uri = query === '' ? path : `${path}?${query}`;
    }
    return this.#uri;
  }
}

/**
 * A certificate date as Cloudflare's `cf.tls_client_auth.cert_not_*` fields show it, which is
 * OpenSSL's print format (`Mar 21 13:35:00 2022 GMT`, day padded with a space); `""` for 0,
 * the date of an absent certificate, and for a time JavaScript dates cannot hold.
 */
export function cloudflareCertDate(unixSeconds: number): string {
  const d = new Date(unixSeconds * 1000);
  if (unixSeconds === 0 || Number.isNaN(d.getTime())) return '';
  const pad = (n: number) => String(n).padStart(2, '0');
  return (
    `${months[d.getUTCMonth()]} ${String(d.getUTCDate()).padStart(2, ' ')} ` +
    `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} ${d.getUTCFullYear()} GMT`
  );
}

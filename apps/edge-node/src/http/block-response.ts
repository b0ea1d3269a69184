import { STATUS_CODES } from 'node:http';
import type { BlockResponse } from '@portcullis/waf';

/** A whole response the edge answers itself: status, headers (lower-case names) and body. */
export interface EdgeResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/**
 * The answer to a request the edge refuses: a WAF block (its status, and its body and content
 * type when the rule sets them), or the edge's own 400/421/431. Without a rule body the edge
 * sends a short text page naming the request id, which support can find in the logs; never the
 * rule that matched (that would tell an attacker what to change).
 */
export function refusalResponse(response: BlockResponse, requestId: string, detail?: string): EdgeResponse {
  const body =
    response.body ??
    `${response.status} ${STATUS_CODES[response.status] ?? 'Error'}\n${detail ?? 'This request was blocked by the security rules of this site.'}\nRequest id: ${requestId}\n`;
  return {
    status: response.status,
    headers: {
      'content-type': response.body !== undefined ? (response.contentType ?? 'text/plain; charset=utf-8') : 'text/plain; charset=utf-8',
      'content-length': String(Buffer.byteLength(body)),
      'cache-control': 'no-store',
      'x-request-id': requestId,
    },
    body,
  };
}

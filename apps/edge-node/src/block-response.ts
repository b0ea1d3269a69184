import http from 'node:http';
import type { BlockResponse } from '@portcullis/waf';

/**
 * Answers a request the edge refuses: a WAF block (its status, and its body and content type
 * when the rule sets them), or the edge's own 400/421. Without a rule body the edge sends a
 * short text page naming the request id, which support can find in the logs; never the rule
 * that matched (that would tell an attacker what to change).
 */
export function sendRefusal(res: http.ServerResponse, response: BlockResponse, requestId: string, detail?: string): void {
  const body =
    response.body ??
    `${response.status} ${http.STATUS_CODES[response.status] ?? 'Error'}\n${detail ?? 'This request was blocked by the security rules of this site.'}\nRequest id: ${requestId}\n`;
  res.writeHead(response.status, {
    'content-type': response.body !== undefined ? (response.contentType ?? 'text/plain; charset=utf-8') : 'text/plain; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    'cache-control': 'no-store',
    'x-request-id': requestId,
  });
  res.end(body);
}

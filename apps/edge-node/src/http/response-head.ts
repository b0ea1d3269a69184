import { STATUS_CODES } from 'node:http';

/** How a response body is framed to the client. */
export type BodyFraming = 'none' | 'length' | 'chunked' | 'close';

let dateSecond = 0;
let dateText = '';

/** RFC 9110 `Date`, formatted once a second. */
export function httpDate(nowMs = Date.now()): string {
  const second = Math.floor(nowMs / 1000);
  if (second !== dateSecond) {
    dateSecond = second;
    dateText = new Date(second * 1000).toUTCString();
  }
  return dateText;
}

/**
 * A response's status line and header block as one latin1 string, written to the client in one
 * write. `fields` are `name, value, …` as they go out; `framing` adds what the body needs
 * (`chunked`: `Transfer-Encoding`); `close` adds `Connection: close`.
 */
export function responseHead(status: number, fields: readonly string[], framing: BodyFraming, close: boolean): string {
  let text = `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Unknown'}\r\n`;
  for (let i = 0; i < fields.length; i += 2) text += `${fields[i]}: ${fields[i + 1]}\r\n`;
  if (framing === 'chunked') text += 'transfer-encoding: chunked\r\n';
  if (close) text += 'connection: close\r\n';
  return text + '\r\n';
}

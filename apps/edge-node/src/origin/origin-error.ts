/**
 * Why an exchange with an origin failed. Closed set:
 * - `unreachable`: no connection (refused, DNS, TLS verification of the origin failed);
 * - `connect-timeout`: no connection (or no free pooled one) within `connectMs`;
 * - `timeout`: connected, but the origin sent nothing for `idleMs` while the edge waited on it;
 * - `reset`: the origin closed or reset the connection before its response was whole;
 * - `bad-response`: the origin's bytes are not one strict HTTP/1.1 response;
 * - `request-body`: the client's request body failed or ended short (the edge's side);
 * - `invalid-request`: the head given to the client cannot be written safely (a CR, LF or NUL in it).
 */
export type OriginErrorCode = 'unreachable' | 'connect-timeout' | 'timeout' | 'reset' | 'bad-response' | 'request-body' | 'invalid-request';

/** The status the edge answers for each failure when no response head was sent yet. */
const statusOf: Record<OriginErrorCode, 502 | 504> = {
  unreachable: 502,
  'connect-timeout': 504,
  timeout: 504,
  reset: 502,
  'bad-response': 502,
  'request-body': 502,
  'invalid-request': 502,
};

/** One failure of an origin exchange: a stable code, the status it maps to, and a short reason for the log (never secrets). */
export class OriginError extends Error {
  readonly code: OriginErrorCode;
  /** 502 or 504: what the client gets when the failure comes before the response head. */
  readonly status: 502 | 504;
  /** For the log: the system error code (`ECONNREFUSED`), llhttp's error, or a short phrase. */
  readonly reason: string;

  constructor(code: OriginErrorCode, reason: string, cause?: unknown) {
    super(`${code}: ${reason}`, cause === undefined ? undefined : { cause });
    this.name = 'OriginError';
    this.code = code;
    this.status = statusOf[code];
    this.reason = reason;
  }
}

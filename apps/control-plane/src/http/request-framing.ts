import { randomBytes } from 'node:crypto';
import { STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { ApiError, type ApiErrorCode } from '../domain/api-error.ts';
import type { ErrorBody } from './error-reply.ts';

/**
 * Limits on the request head, and the catalogue answers for requests that break HTTP/1.1
 * framing or these limits. Node's parser (llhttp) refuses malformed framing itself — bad or
 * repeated Content-Length, Content-Length with Transfer-Encoding, bad chunk sizes, bare LF,
 * NUL or CR in a header value — before fastify sees a request; those answers come from
 * `clientErrorHandler`. None of them repeats anything the client sent.
 */

/** The longest request target (path and query) accepted; longer is `Request.UriTooLong` (414). */
export const maxUrlBytes = 16 * 1024;
/** The most header bytes (names and values) accepted; more is `Request.HeadersTooLarge` (431). */
export const maxHeaderBytes = 32 * 1024;
/**
 * Node's own ceiling on the whole head, above the two limits so that a long URL or large
 * headers reach `requestHeadGuard` and get their own codes; beyond it the parser stops
 * reading (431 from `clientErrorHandler`).
 */
export const maxHeadBytes = maxUrlBytes + maxHeaderBytes + 1024;

/** Headers whose repetition makes the request ambiguous: Node would silently keep the first. */
const singleHeaders = new Set(['authorization', 'host', 'proxy-authorization', 'content-type']);

function errorBody(error: ApiError, requestId: string): ErrorBody {
  return { code: error.code, message: error.message, requestId };
}

/**
 * fastify's `clientErrorHandler`: answers a request Node's parser refused (it never became
 * a request) with the catalogue's body and closes the connection, whose framing can no
 * longer be trusted. A connection the client already reset gets nothing.
 */
export function clientErrorHandler(error: Error & { code?: string }, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const code: ApiErrorCode =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? 'Request.HeadersTooLarge'
      : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? 'Request.Timeout'
        : 'Request.Malformed';
  const apiError = new ApiError(code);
  const requestId = `req_${randomBytes(8).toString('hex')}`;
  const body = JSON.stringify(errorBody(apiError, requestId));
  // As Node's own handler: no answer in the middle of one already being sent (pipelining).
  const answering = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage?.headersSent === true;
  if (socket.writable && !answering) {
    socket.end(
      `HTTP/1.1 ${apiError.status} ${STATUS_CODES[apiError.status]}\r\n` +
        `Content-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
        `X-Request-Id: ${requestId}\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroySoon();
}

/**
 * Node's `checkExpectation` event: a request with an `Expect` other than `100-continue`
 * (which Node would answer 417 with an empty body) gets 417 `Request.ExpectationFailed`
 * with the catalogue's body; the request is not run.
 */
export function expectationFailedHandler(_request: IncomingMessage, response: ServerResponse): void {
  const requestId = `req_${randomBytes(8).toString('hex')}`;
  const apiError = new ApiError('Request.ExpectationFailed');
  const body = JSON.stringify(errorBody(apiError, requestId));
  response.writeHead(apiError.status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(body),
    'x-request-id': requestId,
  });
  response.end(body);
}

/**
 * fastify's `frameworkErrors`: a URL the router cannot decode (`/v1/sites/%ZZ`) or a path
 * parameter over the router's length limit (an id no schema would take), answered without
 * echoing the path.
 */
export function frameworkErrorHandler(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  const apiError =
    error.code === 'FST_ERR_BAD_URL'
      ? new ApiError('Request.InvalidUrl')
      : error.code === 'FST_ERR_MAX_PARAM_LENGTH'
        ? new ApiError('InvalidParameter', { message: 'A path parameter is too long.' })
        : new ApiError('Internal', { cause: error });
  if (apiError.status >= 500) request.log.error({ err: error }, 'router failed');
  // The router answers before any hook, so the `onSend` that adds the request id does not run.
  void reply.status(apiError.status).header('x-request-id', request.id).send(errorBody(apiError, request.id));
}

/**
 * An `onRequest` hook, first of all: refuses a URL or headers over the limits, an HTTP/1.1
 * request without `Host` (RFC 9112 §3.2), and a repeated header that must be single (two `Authorization` headers would otherwise authenticate as
 * the first; two `Host` headers are refused by RFC 9112 §3.2).
 */
export async function requestHeadGuard(request: FastifyRequest): Promise<void> {
  if (Buffer.byteLength(request.raw.url ?? '') > maxUrlBytes) throw new ApiError('Request.UriTooLong');
  // Node's own check (`requireHostHeader`) answers with an empty body; this one with the catalogue's.
  if (request.raw.httpVersion === '1.1' && request.raw.headers.host === undefined) {
    throw new ApiError('Request.Malformed', { message: 'An HTTP/1.1 request needs a Host header.' });
  }
  const raw = request.raw.rawHeaders;
  let bytes = 0;
  const seen = new Set<string>();
  for (let i = 0; i < raw.length; i += 2) {
    const name = raw[i]!.toLowerCase();
    bytes += name.length + Buffer.byteLength(raw[i + 1] ?? '');
    if (singleHeaders.has(name)) {
      if (seen.has(name)) throw new ApiError('Request.DuplicateHeader');
      seen.add(name);
    }
  }
  if (bytes > maxHeaderBytes) throw new ApiError('Request.HeadersTooLarge');
}

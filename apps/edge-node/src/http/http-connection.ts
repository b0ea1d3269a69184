import type tls from 'node:tls';
import { refusalResponse, type EdgeResponse } from './block-response.ts';
import type { ConfigSnapshot } from '../config/config-snapshot.ts';
import { connectionStateOf, type ConnectionState } from '../tls/connection-state.ts';
import { decide, type RequestOutcome } from '../decision/decide.ts';
import type { AccessEntry, AccessLog } from './access-log.ts';
import type { ServingMetrics } from '../metrics/serving-metrics.ts';
import type { BodySource, BodyTarget, OriginClient, OriginExchange } from '../origin/origin-contract.ts';
import type { OriginError } from '../origin/origin-error.ts';
import { RequestParser, type ParsedHead } from './request-parser.ts';
import { httpDate, responseHead, type BodyFraming } from './response-head.ts';

/** What the lean HTTP/1.1 path needs beside the TLS socket. */
export interface HttpPathOptions {
  /** The snapshot to serve with now (read once per request). */
  snapshot(): ConfigSnapshot | undefined;
  readonly origin: OriginClient;
  /** Where the line per request goes. */
  readonly accessLog: AccessLog;
  /** Request ids (request-ids.ts). */
  readonly requestId: () => string;
  readonly now?: () => Date;
  /** While true, each response is its connection's last. */
  draining?(): boolean;
  /** Told when a request's head is read and when its response is over (for /status). */
  readonly requests?: { started(): void; ended(): void };
  /** Counts decisions, certificate checks, responses and latencies (metrics/serving-metrics.ts). */
  readonly metrics?: ServingMetrics;
}

/** A served connection, for draining. */
export interface HttpConnection {
  /** Closes the connection now if no request is in progress; answers whether it did. */
  closeIfIdle(): boolean;
}

const continueLine = 'HTTP/1.1 100 Continue\r\n\r\n';
/** Request body bytes held before the origin asks for them; past this the client is not read. */
const maxHeldBody = 64 * 1024;
const crlf = Buffer.from('\r\n');
const lastChunk = Buffer.from('0\r\n\r\n');

/** One request on a connection, from its head to the end of its response. */
class Request {
  readonly id: string;
  readonly started = performance.now();
  readonly head: ParsedHead;
  /** The body's length, `null` chunked, `undefined` none. */
  readonly bodyLength: number | null | undefined;
  bodyComplete: boolean;
  /** Body bytes parsed before the origin asked for them. */
  buffered: Buffer[] = [];
  bufferedBytes = 0;
  target: BodyTarget | undefined;
  /** The origin no longer takes the body: the rest is read and dropped. */
  bodyStopped = false;
  /** Reading is paused for this request's body (backpressure, or waiting for its turn). */
  flowing = true;
  exchange: OriginExchange | undefined;
  headSent = false;
  framing: BodyFraming = 'none';
  #closeListeners: (() => void)[] = [];
  readonly #counter: { ended(): void } | undefined;
  #ended = false;

  constructor(id: string, head: ParsedHead, counter: HttpPathOptions['requests']) {
    this.id = id;
    this.head = head;
    this.#counter = counter;
    counter?.started();
    this.bodyLength = bodyLengthOf(head.rawHeaders);
    this.bodyComplete = this.bodyLength === undefined;
  }

  /** The deadlines' view of the body (connection-deadlines.ts `RequestProgress`). */
  get complete(): boolean {
    return this.bodyComplete;
  }
  get readableFlowing(): boolean {
    return this.flowing;
  }
  /** The deadlines' view of the response (`ResponseEnd`). */
  once(_event: 'close', listener: () => void): this {
    this.#closeListeners.push(listener);
    return this;
  }
  /** The response is over (or will never be): tells the deadlines and the counter, once. */
  closed(): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#counter?.ended();
    const listeners = this.#closeListeners;
    this.#closeListeners = [];
    for (const listener of listeners) listener();
  }
}

/** A request's body framing from its (llhttp-validated) head: at most one of each field there. */
function bodyLengthOf(rawHeaders: readonly string[]): number | null | undefined {
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]!;
    if (name.length === 14 && name.toLowerCase() === 'content-length') {
      const length = Number(rawHeaders[i + 1]);
      return length === 0 ? undefined : length;
    }
    if (name.length === 17 && name.toLowerCase() === 'transfer-encoding') return null;
  }
  return undefined;
}

function expectsContinue(rawHeaders: readonly string[]): boolean {
  for (let i = 0; i < rawHeaders.length; i += 2) {
    if (rawHeaders[i]!.length === 6 && rawHeaders[i]!.toLowerCase() === 'expect' && rawHeaders[i + 1]!.toLowerCase() === '100-continue')
      return true;
  }
  return false;
}

/** `name, value, …` from the decision's upstream header record (a repeated header once per value). */
function flatten(headers: Readonly<Record<string, string | string[]>>): string[] {
  const out: string[] = [];
  for (const name of Object.keys(headers)) {
    const value = headers[name]!;
    if (typeof value === 'string') out.push(name, value);
    else for (const each of value) out.push(name, each);
  }
  return out;
}

/**
 * Serves HTTP/1.1 on one TLS socket the TLS front accepted, without node:http: the strict
 * parser (request-parser.ts) reads requests; each is decided (decision/decide.ts) against the
 * snapshot of its start and answered whole (refusal, WAF block: head and body in one write) or
 * exchanged with the origin through `options.origin`, bodies streamed both ways with
 * backpressure (the socket is not read while the origin does not take the request body; the
 * origin is not read while the client does not take the response). Pipelined requests are
 * answered in order: heads of bodyless requests are read ahead (each counts against the
 * pipelining cap of connection-deadlines.ts), a request with a body waits, unread, for its turn.
 * `Expect: 100-continue` gets `100 Continue` when the origin asks for the body. A request that
 * asks for a protocol upgrade is answered as a plain request and the connection closed (no
 * upgrade is ever made); HTTP/1.0 clients get close-delimited bodies where needed. A head the
 * parser refuses is answered 400 (431 when too large) and the connection closed, except while a
 * response is being sent, which is never interrupted by another (the connection just closes
 * after it). Every deadline stays with connection-deadlines.ts, told of each request.
 */
export function serveHttpConnection(socket: tls.TLSSocket, options: HttpPathOptions): HttpConnection {
  const state: ConnectionState | undefined = connectionStateOf(socket);
  const now = options.now ?? (() => new Date());
  const { accessLog, metrics } = options;
  const queue: Request[] = [];
  /** The request whose head or body the parser is in. */
  let parsing: Request | undefined;
  /** No further request is read: the last one said close, or asked for an upgrade. */
  let lastRead = false;
  /** Close once the responses in progress are sent. */
  let closeAfter = false;
  let gone = false;
  let waitingTurn = false;

  const parser = new RequestParser({
    onHead(head) {
      if (lastRead || gone) return 'pause';
      const request = new Request(options.requestId(), head, options.requests);
      if (state && !state.deadlines.requestStarted(request, request)) {
        gone = true;
        return 'pause';
      }
      queue.push(request);
      parsing = request;
      if (!head.keepAlive || head.upgrade) lastRead = true;
      // A body is read only once it is its request's turn: no buffering of bodies behind others.
      if (request.bodyLength !== undefined && queue.length > 1) {
        request.flowing = false;
        waitingTurn = true;
        return 'pause';
      }
      return 'continue';
    },
    onBody(chunk) {
      const request = parsing!;
      if (request.bodyStopped) return;
      if (request.target) {
        if (!request.target.write(chunk)) pauseReading(request);
        return;
      }
      // The origin has not asked for the body yet (connecting, or waiting for 100 Continue):
      // hold a little of it, then stop reading the client.
      request.buffered.push(chunk);
      request.bufferedBytes += chunk.length;
      if (request.bufferedBytes >= maxHeldBody) pauseReading(request);
    },
    onComplete() {
      const request = parsing!;
      request.bodyComplete = true;
      if (request.target && !request.bodyStopped) request.target.end();
      parsing = undefined;
    },
  });

  const pauseReading = (request: Request) => {
    request.flowing = false;
    socket.pause();
  };
  const resumeReading = (request: Request) => {
    request.flowing = true;
    if (!gone) socket.resume();
  };

  const destroy = () => {
    if (gone && socket.destroyed) return;
    gone = true;
    socket.destroy();
  };

  const afterParse = (outcome: ReturnType<RequestParser['execute']>) => {
    if (outcome.kind === 'error') {
      lastRead = true;
      socket.pause();
      if (queue.length === 0 || (queue.length === 1 && !queue[0]!.headSent && queue[0] === parsing)) {
        // Nothing is being answered: refuse the head.
        if (parsing) abandon(parsing);
        const requestId = options.requestId();
        const response = refusalResponse({ status: outcome.status }, requestId, 'The request is not valid HTTP/1.1.');
        accessLog.record({
          requestId,
          method: undefined,
          path: '',
          host: undefined,
          status: outcome.status,
          clientIp: socket.remoteAddress ?? '',
          userAgent: undefined,
          reason: outcome.reason,
          ms: 0,
        });
        writeWhole(response, true, false);
        metrics?.responded('invalid', outcome.status, undefined);
        socket.end();
      } else closeAfter = true;
    }
    if (queue.length > 0 && !queue[0]!.exchange && !queue[0]!.headSent) start(queue[0]!);
  };

  /** Forgets a request whose head was read but whose answer will not be given. */
  const abandon = (request: Request) => {
    const at = queue.indexOf(request);
    if (at >= 0) queue.splice(at, 1);
    request.closed();
  };

  socket.on('data', (chunk: Buffer) => {
    if (gone || lastRead) {
      // After the last request, further bytes are not read (as a closing server does).
      if (lastRead && !parsing) return;
    }
    if (parser.paused) {
      // Paused for a turn or backpressure while this chunk was on its way: keep order.
      socket.pause();
      socket.unshift(chunk);
      return;
    }
    afterParse(parser.execute(chunk));
  });
  socket.on('close', () => {
    gone = true;
    for (const request of queue.splice(0)) {
      request.exchange?.abort();
      request.closed();
    }
    parser.destroy();
  });

  let corked = false;
  const uncork = () => {
    corked = false;
    socket.uncork();
  };
  /** Holds this tick's writes back, to go out together when it ends. */
  const cork = () => {
    if (corked) return;
    corked = true;
    socket.cork();
    process.nextTick(uncork);
  };

  /** Whether `request`'s response is the connection's last: it then says `Connection: close`. */
  const isLast = (request: Request) => closeAfter || (lastRead && parsing === undefined && queue[queue.length - 1] === request);

  const writeWhole = (response: EdgeResponse, close: boolean, bodyless: boolean) => {
    const fields: string[] = ['date', httpDate()];
    for (const name of Object.keys(response.headers)) fields.push(name, response.headers[name]!);
    const head = responseHead(response.status, fields, 'length', close);
    socket.write(bodyless ? head : head + response.body, 'latin1');
  };

  const start = (request: Request) => {
    if (gone) return;
    const head = request.head;
    const outcome = decide(
      options.snapshot(),
      state?.facts,
      { requestId: request.id, method: head.method, target: head.target, rawHeaders: head.rawHeaders },
      now(),
    );
    if (outcome.close || head.upgrade || options.draining?.()) closeAfter = true;
    const line = {
      requestId: request.id,
      method: head.method,
      path: pathOf(head.target),
      clientIp: socket.remoteAddress ?? '',
      userAgent: userAgentOf(head.rawHeaders),
    };
    if (outcome.kind === 'refuse') {
      writeWhole(refusalResponse({ status: outcome.status }, request.id, outcome.detail), isLast(request), head.method === 'HEAD');
      accessLog.record({ ...line, host: outcome.host, status: outcome.status, reason: outcome.detail, ms: elapsed(request.started) });
      metrics?.responded('refuse', outcome.status, request.started);
      finish(request);
      return;
    }
    metrics?.evaluated(outcome.site.id, outcome.decision, state?.facts.requestedCertificate ? outcome.clientCert : undefined);
    const kind = outcome.kind;
    const done = (status: number, upstreamMs: number | undefined, error?: string) => {
      metrics?.responded(kind, status, request.started);
      logDone(accessLog, line, outcome, status, upstreamMs, request.started, error);
    };
    if (outcome.kind === 'block') {
      writeWhole(refusalResponse(outcome.response, request.id), isLast(request), head.method === 'HEAD');
      done(outcome.response.status, undefined);
      finish(request);
      return;
    }
    forward(request, outcome, done);
  };

  const forward = (
    request: Request,
    outcome: Extract<RequestOutcome, { kind: 'forward' }>,
    done: (status: number, upstreamMs: number | undefined, error?: string) => void,
  ) => {
    const head = request.head;
    const sentAt = performance.now();
    let upstreamMs: number | undefined;
    const wantsContinue = request.bodyLength !== undefined && head.minorVersion === 1 && expectsContinue(head.rawHeaders);
    const body: BodySource | null =
      request.bodyLength === undefined
        ? null
        : {
            length: request.bodyLength,
            start(target) {
              request.target = target;
              if (wantsContinue && request.buffered.length === 0 && !request.bodyComplete) socket.write(continueLine, 'latin1');
              let taken = true;
              for (const chunk of request.buffered.splice(0)) taken = target.write(chunk) && taken;
              request.bufferedBytes = 0;
              if (!taken) pauseReading(request);
              else if (!request.flowing) resumeReading(request);
              if (request.bodyComplete) target.end();
            },
            resume() {
              resumeReading(request);
            },
            stop() {
              request.bodyStopped = true;
              request.buffered = [];
              // The rest of the body is read and dropped; the connection closes after the response.
              if (!request.bodyComplete) closeAfter = true;
              resumeReading(request);
            },
          };
    const bodyless = head.method === 'HEAD';
    request.exchange = options.origin.request(
      outcome.origin,
      { method: head.method, path: head.target, headers: flatten(outcome.headers) },
      body,
      {
        onHead(status, fields) {
          upstreamMs = performance.now() - sentAt;
          metrics?.originResponded(upstreamMs);
          let length = false;
          const out: string[] = [];
          for (let i = 0; i < fields.length; i += 2) {
            const name = fields[i]!;
            const lower = name.toLowerCase();
            if (lower === 'x-request-id') continue;
            if (lower === 'content-length') length = true;
            out.push(name, fields[i + 1]!);
          }
          out.push('x-request-id', request.id);
          const noBody = bodyless || status === 204 || status === 304 || (status >= 100 && status < 200);
          const framing: BodyFraming = noBody ? 'none' : length ? 'length' : head.minorVersion === 1 ? 'chunked' : 'close';
          if (framing === 'close') closeAfter = true;
          request.framing = framing;
          request.headSent = true;
          // Corked to the end of this tick: the head and the body bytes that came with it leave
          // as one TLS record and one syscall, not one per write.
          cork();
          socket.write(responseHead(status, out, framing, isLast(request)), 'latin1');
          statusOf.set(request, status);
        },
        onData(chunk) {
          if (gone) return true;
          let ok: boolean;
          cork();
          if (request.framing === 'chunked') {
            socket.write(`${chunk.length.toString(16)}\r\n`, 'latin1');
            socket.write(chunk);
            ok = socket.write(crlf);
          } else ok = socket.write(chunk);
          if (!ok) socket.once('drain', () => request.exchange?.resume());
          return ok;
        },
        onEnd() {
          if (request.framing === 'chunked' && !gone) {
            cork();
            socket.write(lastChunk);
          }
          done(statusOf.get(request) ?? 0, upstreamMs);
          finish(request);
        },
        onError(error: OriginError) {
          metrics?.originFailed(error.code);
          if (!request.headSent) {
            const body502 = `${error.status} ${error.status === 504 ? 'Gateway Timeout' : 'Bad Gateway'}: the origin ${error.code === 'timeout' || error.code === 'connect-timeout' ? 'did not answer in time' : 'could not be reached'}.\nRequest id: ${request.id}\n`;
            if (!request.bodyComplete) closeAfter = true;
            writeWhole(
              {
                status: error.status,
                headers: {
                  'content-type': 'text/plain; charset=utf-8',
                  'content-length': String(Buffer.byteLength(body502)),
                  'x-request-id': request.id,
                },
                body: body502,
              },
              isLast(request),
              bodyless,
            );
            done(error.status, upstreamMs, `${error.code}: ${error.reason}`);
            finish(request);
            return;
          }
          // After the head, a failure can only cut the response short.
          done(statusOf.get(request) ?? 0, upstreamMs, `${error.code}: ${error.reason}`);
          destroy();
        },
      },
    );
  };

  const finish = (request: Request) => {
    if (queue[0] === request) queue.shift();
    request.closed();
    if (gone) return;
    // A body left unread (refused before it came, or the origin answered first) is read and
    // dropped only up to this point: the connection cannot be trusted to frame the next request.
    if (!request.bodyComplete) closeAfter = true;
    if (closeAfter || (lastRead && queue.length === 0 && !parsing)) {
      lastRead = true;
      if (queue.length === 0) {
        socket.end();
        return;
      }
    }
    const next = queue[0];
    if (next) start(next);
    if (waitingTurn && parsing !== undefined && queue[0] === parsing) {
      waitingTurn = false;
      parsing.flowing = true;
      socket.resume();
      afterParse(parser.resume());
    } else if (!waitingTurn && parser.paused && queue.length === 0) afterParse(parser.resume());
  };

  return {
    closeIfIdle() {
      if (queue.length > 0 || parsing !== undefined) return false;
      destroy();
      return true;
    },
  };
}

const statusOf = new WeakMap<Request, number>();

function pathOf(target: string): string {
  const query = target.indexOf('?');
  return (query < 0 ? target : target.slice(0, query)).slice(0, 512);
}

function userAgentOf(rawHeaders: readonly string[]): string | undefined {
  for (let i = 0; i < rawHeaders.length; i += 2)
    if (rawHeaders[i]!.length === 10 && rawHeaders[i]!.toLowerCase() === 'user-agent') return rawHeaders[i + 1];
  return undefined;
}

function logDone(
  accessLog: AccessLog,
  line: Pick<AccessEntry, 'requestId' | 'method' | 'path' | 'clientIp' | 'userAgent'>,
  outcome: Exclude<RequestOutcome, { kind: 'refuse' }>,
  status: number,
  upstreamMs: number | undefined,
  started: number,
  error?: string,
): void {
  const { clientCert, decision } = outcome;
  accessLog.record({
    ...line,
    host: outcome.host,
    site: outcome.site.id,
    status,
    rule: decision.ruleId ?? undefined,
    ...(decision.logged.length > 0 ? { logged: decision.logged } : {}),
    cert: clientCert.presented
      ? { serial: clientCert.serial, verify: clientCert.error === '' ? 'SUCCESS' : `FAILED:${clientCert.error}` }
      : 'NONE',
    upstreamMs: upstreamMs === undefined ? undefined : Math.round(upstreamMs * 10) / 10,
    ms: elapsed(started),
    ...(error ? { error } : {}),
  });
}

function elapsed(started: number): number {
  return Math.round((performance.now() - started) * 10) / 10;
}

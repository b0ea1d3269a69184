import fs from 'node:fs';
import type { EdgeLogger } from '../edge-logger.ts';

/** One request, as the access log records it (what the request path knows at its end). */
export interface AccessEntry {
  readonly requestId: string;
  readonly method: string | undefined;
  readonly path: string;
  readonly host: string | undefined;
  readonly status: number;
  /** The client's address (the TCP peer). */
  readonly clientIp: string;
  /** As sent; the log truncates it and escapes control characters. */
  readonly userAgent: string | undefined;
  readonly site?: string;
  /** The WAF rule that decided (a block, or an allow), if any. */
  readonly rule?: string | undefined;
  readonly logged?: readonly string[];
  readonly cert?: { readonly serial: string; readonly verify: string } | 'NONE';
  readonly upstreamMs?: number | undefined;
  readonly ms: number;
  /** Why the edge refused the request itself (421, 400, …). */
  readonly reason?: string;
  /** The origin exchange's failure, if any. */
  readonly error?: string;
}

/** What the request path writes to: one call per request, never blocking, never throwing. */
export interface AccessLog {
  record(entry: AccessEntry): void;
}

/** `full`: every request; `sampled`: 1 in `sampleEvery`, plus every error and block; `off`: none. */
export type AccessLogMode = 'full' | 'sampled' | 'off';

export interface AccessLogStats {
  readonly mode: AccessLogMode;
  /** Lines handed to the destination. */
  readonly written: number;
  /** Lines dropped because the buffer was full (a slow disk) or the write failed. */
  readonly dropped: number;
  /** Requests not logged by sampling. */
  readonly sampledOut: number;
}

export interface BufferedAccessLog extends AccessLog {
  stats(): AccessLogStats;
  /** Resolves when everything recorded so far is written (or dropped). */
  flush(): Promise<void>;
}

export interface BufferedAccessLogOptions {
  readonly mode: AccessLogMode;
  /** N of "1 in N" in `sampled` mode. */
  readonly sampleEvery: number;
  /** Destination file descriptor (default 1, stdout). */
  readonly fd?: number;
  /** Lines waiting beyond this many bytes are dropped (counted) rather than held. Default 4 MiB. */
  readonly maxBufferBytes?: number;
  /** A write starts once this many bytes wait… Default 16 KiB. */
  readonly flushBytes?: number;
  /** …or this long after the first waiting line. Default 100 ms. */
  readonly flushMs?: number;
  /** The write function (tests pass a slow one). */
  readonly write?: (fd: number, data: Buffer, callback: (error: NodeJS.ErrnoException | null, written: number) => void) => void;
}

/** Longest user agent logged, in UTF-16 code units; the rest is cut with `…`. */
export const maxUserAgent = 256;

/**
 * Writes on pipes of at most this many bytes are atomic (PIPE_BUF on Linux): lines from several
 * worker processes sharing one stdout never interleave within a line.
 */
const pipeBuf = 4096;

/** C0 and C1 controls, DEL and the Unicode line separators: nothing that can end or rewrite a log line. */
const unsafe = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g;

/** `text` cut to `max` and with every control character shown as `\uXXXX` text. */
export function logSafe(text: string, max: number): string {
  const cut = text.length > max ? `${text.slice(0, max)}…` : text;
  return cut.replace(unsafe, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/**
 * One JSON line (pino's shape: level 30, `time`, `service`, `msg: "request"`, so log tools read
 * both alike). JSON escapes what `logSafe` leaves; the line holds no newline but its last.
 */
export function accessLine(entry: AccessEntry, time: number): string {
  const { userAgent, ...rest } = entry;
  return `${JSON.stringify({
    level: 30,
    time,
    service: 'edge-node',
    msg: 'request',
    ...rest,
    userAgent: userAgent === undefined ? undefined : logSafe(userAgent, maxUserAgent),
  })}\n`;
}

/** An entry that sampling never leaves out: an error, a refusal or a WAF block. */
function alwaysLogged(entry: AccessEntry): boolean {
  return entry.status >= 400 || entry.error !== undefined || entry.reason !== undefined;
}

/**
 * The production access log: lines are built on the event loop (one `JSON.stringify`) and
 * written by libuv's thread pool, never synchronously. A write starts when `flushBytes` wait
 * or `flushMs` after the first line; one write is in flight at a time, in batches of whole
 * lines of at most PIPE_BUF bytes (on a pipe, atomic) or 64 KiB (on a file). While the
 * destination is slow, lines wait up to `maxBufferBytes`; beyond that they are dropped and
 * counted (`stats().dropped`, in /status), so a slow disk costs log lines, never memory or
 * latency. A failed write drops its batch (counted); EAGAIN (a non-blocking pipe that is
 * full) is retried.
 */
export function createBufferedAccessLog(options: BufferedAccessLogOptions): BufferedAccessLog {
  const fd = options.fd ?? 1;
  const maxBufferBytes = options.maxBufferBytes ?? 4 * 1024 * 1024;
  const flushBytes = options.flushBytes ?? 16 * 1024;
  const flushMs = options.flushMs ?? 100;
  const write = options.write ?? fs.write;
  const batchBytes = isFile(fd) ? 64 * 1024 : pipeBuf;
  const every = Math.max(1, Math.floor(options.sampleEvery));
  // Lines waiting are waiting[head…]; the consumed front is cut off now and then, not per batch.
  let waiting: string[] = [];
  let sizes: number[] = [];
  let head = 0;
  let waitingBytes = 0;
  let writing = false;
  let timer: NodeJS.Timeout | undefined;
  let seen = 0;
  let written = 0;
  let dropped = 0;
  let sampledOut = 0;
  let idle: (() => void)[] = [];

  const settleIfIdle = () => {
    if (writing || head < waiting.length) return;
    const resolvers = idle;
    idle = [];
    for (const resolve of resolvers) resolve();
  };

  const send = (batch: Buffer, lines: number, offset: number) => {
    write(fd, offset === 0 ? batch : batch.subarray(offset), (error, count) => {
      if (error?.code === 'EAGAIN') {
        setTimeout(() => send(batch, lines, offset), 10).unref();
        return;
      }
      if (error) dropped += lines;
      else if (offset + count < batch.length) return send(batch, lines, offset + count);
      else written += lines;
      writing = false;
      pump();
    });
  };

  const pump = () => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    if (writing || head === waiting.length) return settleIfIdle();
    let bytes = 0;
    let end = head;
    while (end < waiting.length) {
      const size = sizes[end]!;
      if (end > head && bytes + size > batchBytes) break;
      bytes += size;
      end += 1;
    }
    const taken = end - head;
    const batch = Buffer.from(waiting.slice(head, end).join(''));
    head = end;
    if (head === waiting.length) {
      waiting = [];
      sizes = [];
      head = 0;
    } else if (head > 1024 && head * 2 > waiting.length) {
      waiting = waiting.slice(head);
      sizes = sizes.slice(head);
      head = 0;
    }
    waitingBytes -= bytes;
    writing = true;
    send(batch, taken, 0);
  };

  return {
    record(entry) {
      if (options.mode === 'off') return;
      if (options.mode === 'sampled' && !alwaysLogged(entry) && seen++ % every !== 0) {
        sampledOut += 1;
        return;
      }
      const line = accessLine(entry, Date.now());
      const size = Buffer.byteLength(line);
      if (waitingBytes + size > maxBufferBytes) {
        dropped += 1;
        return;
      }
      waiting.push(line);
      sizes.push(size);
      waitingBytes += size;
      if (writing) return;
      if (waitingBytes >= flushBytes) setImmediate(pump);
      else timer ??= setTimeout(pump, flushMs).unref();
    },
    stats: () => ({ mode: options.mode, written, dropped, sampledOut }),
    flush() {
      return new Promise((resolve) => {
        idle.push(resolve);
        pump();
      });
    },
  };
}

/** The access log through the edge's logger (in-process edges and tests: every line, at once). */
export function loggerAccessLog(log: EdgeLogger): AccessLog {
  return {
    record(entry) {
      const { userAgent, ...rest } = entry;
      log.info({ ...rest, userAgent: userAgent === undefined ? undefined : logSafe(userAgent, maxUserAgent) }, 'request');
    },
  };
}

function isFile(fd: number): boolean {
  try {
    return fs.fstatSync(fd).isFile();
  } catch {
    return false;
  }
}

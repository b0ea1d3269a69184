/**
 * A failed API call as the control plane reported it: its stable code (e.g. `NotFound.Site`),
 * message, HTTP status, request id and details. Failures to reach the API at all carry the
 * CLI's own codes `Connection.Failed` and `Connection.Timeout`; an answer that is not the
 * API's JSON error body carries `Response.Unexpected`.
 */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  readonly code: string;
  /** The HTTP status, or 0 when no answer arrived. */
  readonly status: number;
  readonly requestId: string | undefined;
  readonly details: Readonly<Record<string, unknown>> | undefined;

  constructor(init: { code: string; message: string; status: number; requestId?: string; details?: Record<string, unknown> }) {
    super(init.message);
    this.code = init.code;
    this.status = init.status;
    this.requestId = init.requestId;
    this.details = init.details;
  }
}

export interface ApiClientOptions {
  /** The control plane's base URL, e.g. http://127.0.0.1:8080 (REST lives under /v1). */
  readonly url: string;
  /** Sent as `Authorization: Bearer <key>`; never logged or printed. */
  readonly apiKey: string;
  /** How long one call may take in total; generating an RSA key can take a second or two. */
  readonly timeoutMs?: number;
}

export type Query = Readonly<Record<string, string | number | undefined>>;

/** A JSON answer, read loosely: each command picks out what it shows. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the API's answers are documented by its OpenAPI schemas
export type Json = Record<string, any>;

/**
 * The control plane's REST API (`/v1/...`) over Node's fetch. Every call resolves with the
 * parsed JSON answer (undefined for 204) or rejects with an `ApiError`.
 */
export class ApiClient {
  readonly #base: URL;
  readonly #apiKey: string;
  readonly #timeoutMs: number;

  constructor(options: ApiClientOptions) {
    this.#base = new URL(options.url.endsWith('/') ? options.url : `${options.url}/`);
    this.#apiKey = options.apiKey;
    this.#timeoutMs = options.timeoutMs ?? 60_000;
  }

  get(path: string, query?: Query): Promise<Json> {
    return this.request('GET', path, { ...(query ? { query } : {}) }) as Promise<Json>;
  }

  post(path: string, body: unknown = {}): Promise<Json> {
    return this.request('POST', path, { body }) as Promise<Json>;
  }

  put(path: string, body: unknown): Promise<Json> {
    return this.request('PUT', path, { body }) as Promise<Json>;
  }

  patch(path: string, body: unknown): Promise<Json> {
    return this.request('PATCH', path, { body }) as Promise<Json>;
  }

  /** Most deletions answer 204 (undefined); revoking an API key answers the revoked key. */
  delete(path: string): Promise<Json | undefined> {
    return this.request('DELETE', path, {});
  }

  /**
   * `path` is relative to /v1 and already encoded (build it with `apiPath`). A request refused
   * with 429 (`Throttling`, refused before any handler ran) is sent again, whatever its method;
   * a GET answered 503 (`Store.Unavailable`) too. At most `maxAttempts` in all, waiting the
   * answer's Retry-After (at most 5 s) or a short growing delay in between.
   */
  async request(method: string, path: string, options: { body?: unknown; query?: Query }): Promise<Json | undefined> {
    const url = new URL(`v1/${path.replace(/^\//, '')}`, this.#base);
    for (const [name, value] of Object.entries(options.query ?? {})) {
      if (value !== undefined) url.searchParams.set(name, String(value));
    }
    for (let attempt = 1; ; attempt++) {
      const response = await this.#send(method, url, options.body);
      const retry = response.status === 429 || (response.status === 503 && method === 'GET');
      if (retry && attempt < maxAttempts) {
        await response.body?.cancel();
        await new Promise((resolve) => setTimeout(resolve, retryDelayMs(response, attempt)));
        continue;
      }
      return this.#read(method, url, response);
    }
  }

  async #send(method: string, url: URL, body: unknown): Promise<Response> {
    try {
      return await fetch(url, {
        method,
        headers: {
          authorization: `Bearer ${this.#apiKey}`,
          accept: 'application/json',
          ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
        },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
        signal: AbortSignal.timeout(this.#timeoutMs),
      });
    } catch (error) {
      const timedOut = error instanceof Error && error.name === 'TimeoutError';
      const cause = error instanceof Error && error.cause instanceof Error ? `: ${error.cause.message}` : '';
      throw new ApiError({
        code: timedOut ? 'Connection.Timeout' : 'Connection.Failed',
        message: timedOut
          ? `no answer from ${this.#base.origin} within ${this.#timeoutMs / 1000} s`
          : `cannot reach the control plane at ${this.#base.origin}${cause}`,
        status: 0,
      });
    }
  }

  async #read(method: string, url: URL, response: Response): Promise<Json | undefined> {
    if (response.status === 204) return undefined;
    const json = parseJson(await response.text());
    if (response.ok && json !== undefined) return json;
    if (!response.ok && typeof json?.['code'] === 'string' && typeof json['message'] === 'string') {
      throw new ApiError({
        code: json['code'],
        message: json['message'],
        status: response.status,
        ...(typeof json['requestId'] === 'string' ? { requestId: json['requestId'] } : {}),
        ...(json['details'] && typeof json['details'] === 'object' ? { details: json['details'] } : {}),
      });
    }
    throw new ApiError({
      code: 'Response.Unexpected',
      message: `${method} ${url.pathname} answered ${response.status} without the API's JSON body; is ${this.#base.origin} a Portcullis control plane?`,
      status: response.status,
    });
  }
}

const maxAttempts = 4;

/** Retry-After in seconds when the answer has one (at most 5 s), else 250 ms, 500 ms, 750 ms. */
function retryDelayMs(response: Response, attempt: number): number {
  const header = response.headers.get('retry-after');
  const seconds = header !== null && /^\d+$/.test(header.trim()) ? Number(header.trim()) : undefined;
  return seconds !== undefined ? Math.min(seconds, 5) * 1000 : 250 * attempt;
}

function parseJson(text: string): Json | undefined {
  try {
    const value: unknown = JSON.parse(text);
    return value !== null && typeof value === 'object' ? (value as Json) : undefined;
  } catch {
    return undefined;
  }
}

/** A REST path from literal parts and user-given ids, each id percent-encoded. */
export function apiPath(strings: TemplateStringsArray, ...ids: string[]): string {
  return strings.reduce((path, part, i) => path + part + (i < ids.length ? encodeURIComponent(ids[i]!) : ''), '');
}

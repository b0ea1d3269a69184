/**
 * The console's only way to the control plane: same-origin fetches under /v1 with the
 * caller's key as a Bearer header. The key lives in sessionStorage (gone with the tab, never
 * in a URL or localStorage); answers are never cached.
 */

const keyItem = 'portcullis.apiKey';

export function storedKey(): string | null {
  return sessionStorage.getItem(keyItem);
}
export function storeKey(key: string): void {
  sessionStorage.setItem(keyItem, key);
}
export function forgetKey(): void {
  sessionStorage.removeItem(keyItem);
}

/** An error answer of the API: its catalogue code, message and details. */
export class ApiFailure extends Error {
  readonly status: number;
  readonly code: string;
  readonly details: Record<string, unknown>;
  constructor(status: number, code: string, message: string, details: Record<string, unknown> = {}) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- API answers are read field by field by the views
export type Json = Record<string, any>;

/** Calls the API; resolves with the JSON answer (or null for 204), rejects with ApiFailure. */
export async function api(method: string, route: string, body?: unknown, key: string | null = storedKey()): Promise<Json> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (key) headers['authorization'] = `Bearer ${key}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  let response: Response;
  try {
    response = await fetch(`/v1${route}`, {
      method,
      headers,
      cache: 'no-store',
      credentials: 'omit',
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
  } catch {
    throw new ApiFailure(0, 'Network', 'The control plane cannot be reached.');
  }
  if (response.status === 204) return {};
  const answer = (await response.json().catch(() => ({}))) as Json;
  if (!response.ok) {
    throw new ApiFailure(
      response.status,
      String(answer['code'] ?? `HTTP ${response.status}`),
      String(answer['message'] ?? response.statusText),
      answer['details'] ?? {},
    );
  }
  return answer;
}

/** A readable one-line form of any error, code first. */
export function describeError(error: unknown): string {
  if (error instanceof ApiFailure) return `${error.code}: ${error.message}`;
  return error instanceof Error ? error.message : String(error);
}

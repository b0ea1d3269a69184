import { ApiFailure, api, forgetKey, storeKey, storedKey } from './api-client.ts';

/** Who is signed in: an account's API key, or the administrator token. */
export type Session = { readonly kind: 'account' } | { readonly kind: 'admin' };

/**
 * Checks `key` against the API and keeps it for this tab: the audit log answers any valid
 * key; the edge list answers only the administrator (403 for an account key).
 */
export async function signIn(key: string): Promise<Session> {
  await api('GET', '/audit-log?pageSize=1', undefined, key);
  const session = await kindOf(key);
  storeKey(key);
  return session;
}

async function kindOf(key: string): Promise<Session> {
  try {
    await api('GET', '/edges', undefined, key);
    return { kind: 'admin' };
  } catch (error) {
    if (error instanceof ApiFailure && error.status === 403) return { kind: 'account' };
    throw error;
  }
}

/** The session of a key kept earlier in this tab, or null when there is none or it no longer works. */
export async function resumeSession(): Promise<Session | null> {
  const key = storedKey();
  if (!key) return null;
  try {
    return await kindOf(key);
  } catch {
    forgetKey();
    return null;
  }
}

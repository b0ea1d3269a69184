/**
 * Who is calling, as established by authentication: an account (through one of its API
 * keys) or the administrator (through the bootstrap token). Every service operation takes
 * it explicitly; nothing reads it from globals.
 */
export type Caller =
  | { readonly kind: 'account'; readonly accountId: string; readonly keyId: string; readonly requestId: string }
  | { readonly kind: 'admin'; readonly requestId: string };

/** The actor string recorded in change records and the audit log. */
export function actorOf(caller: Caller): string {
  return caller.kind === 'admin' ? 'admin' : `key:${caller.keyId}`;
}

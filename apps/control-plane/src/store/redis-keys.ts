import type { EntityKind } from '../domain/entities.ts';

/**
 * The Redis key layout, every key under one prefix (default `portcullis:`):
 *
 * - `<p>revision`           string: the global revision, absent before the first commit
 * - `<p>changes`            stream: one entry per commit, id `<revision>-0`, field `record`
 * - `<p>doc:<kind>:<id>`    hash: `data` (JSON), `rev`, and the memberships the document
 *                           holds, `indexes` (JSON array of names) and `uniques` (JSON array
 *                           of [name, value]), so a later put or delete drops the stale ones
 * - `<p>idx:<index>`        sorted set of members `<kind>:<id>`, scored by join position
 * - `<p>uniq:<name>`        hash: claimed value → member `<kind>:<id>` holding it
 * - `<p>commit:<uuid>`      string: the revision a commit produced, kept a few minutes so a
 *                           command resent after a reconnect is not applied twice
 *
 * Members name the kind as well as the id, so documents of two kinds never clobber each
 * other's index memberships or unique claims. The Lua scripts build the same keys from the
 * prefix; they touch keys they cannot declare up front, which is why the store needs one
 * Redis primary and not Redis Cluster.
 */
export function redisKeys(prefix: string) {
  return {
    revision: `${prefix}revision`,
    changes: `${prefix}changes`,
    doc: (kind: EntityKind, id: string) => `${prefix}doc:${member(kind, id)}`,
    index: (name: string) => `${prefix}idx:${name}`,
    unique: (name: string) => `${prefix}uniq:${name}`,
  };
}

export function member(kind: EntityKind, id: string): string {
  return `${kind}:${id}`;
}

/** The id inside a member: kinds never contain `:`, ids may. */
export function idOfMember(value: string): string {
  return value.slice(value.indexOf(':') + 1);
}

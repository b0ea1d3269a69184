import type { EntityKind, EntityOf } from '../domain/entities.ts';

/**
 * The control plane's storage contract. Two implementations pass one contract suite
 * (store-contract.ts): Redis (production, several replicas) and an embedded SQLite file
 * (a single node with no Redis).
 *
 * The model is a document store with secondary indexes: every entity is a JSON document
 * addressed by kind and id. All changes go through `commit`, which applies a whole
 * `Write` atomically — its guards are checked, then every put and delete, a new global
 * revision, one change record and the audit entries land together, or nothing does.
 * Once `commit` resolves, the write is durable (see each implementation for what the
 * deployment must provide).
 */
export interface Store {
  /** The document of `kind` with `id`, or undefined. Reads never block writers. */
  get<K extends EntityKind>(kind: K, id: string): Promise<Stored<EntityOf<K>> | undefined>;

  /**
   * Documents listed in `index`, oldest first (the order they joined the index), skipping
   * `offset` and returning at most `limit`; `total` is the index size at the same instant.
   */
  list<K extends EntityKind>(kind: K, index: string, page: Page): Promise<Listed<EntityOf<K>>>;

  /** The id that holds `value` in the unique constraint `name`, or undefined. */
  findUnique(name: string, value: string): Promise<string | undefined>;

  /** Number of members of `index`. */
  count(index: string): Promise<number>;

  /**
   * Applies `write` atomically. Resolves `{ ok: true, revision }` with the new global
   * revision once durable; resolves `{ ok: false, guard }` (and writes nothing) when a guard
   * does not hold, naming the first failing guard by its position in `write.guards`.
   * A put that claims a unique value already held by another id fails the same way, with
   * `guard: -1` and the claim in `conflict`. Rejects only on infrastructure failures.
   */
  commit(write: Write): Promise<CommitResult>;

  /** The current global revision: 0 before the first commit, then +1 per commit. */
  revision(): Promise<number>;

  /**
   * Change records with revision greater than `after`, oldest first, at most `limit`.
   * Records may be trimmed after a retention window; `oldest` says the first revision
   * still held (the current revision + 1 when none is), so a reader that fell behind
   * knows to resynchronise from documents.
   */
  changes(after: number, limit: number): Promise<{ records: ChangeRecord[]; oldest: number }>;

  /** Releases connections and file handles. The store is unusable afterwards. */
  close(): Promise<void>;
}

/** A document as stored: `rev` is the global revision of the commit that last wrote it. */
export interface Stored<T> {
  readonly id: string;
  readonly rev: number;
  readonly data: T;
}

export interface Page {
  readonly offset: number;
  readonly limit: number;
}

export interface Listed<T> {
  readonly total: number;
  readonly items: Stored<T>[];
}

/**
 * One atomic change: preconditions, then puts and deletes, recorded as one revision.
 * Guards see the state before the write; then the deletes apply, then the puts, each in
 * order, so a put may claim a unique value that an earlier delete or put of the same write
 * freed. The change record lists the deletes, then the puts.
 */
export interface Write {
  readonly guards: readonly Guard[];
  readonly puts: readonly Put[];
  readonly deletes: readonly Delete[];
  /** Who asked and why, stored with the change record and as audit entries. */
  readonly context: WriteContext;
  /**
   * One audit entry per user-visible change; may be empty for internal writes. Each is
   * stored as an `audit` document (id `<revision>-<position>`) in index
   * `audit:<accountId>`, and not listed in the change record.
   */
  readonly audit: readonly AuditDraft[];
}

/**
 * A precondition checked atomically with the write:
 * - `absent`: no document of `kind` with `id` exists;
 * - `unchanged`: the document exists and its `rev` is still `rev` (optimistic concurrency);
 * - `indexBelow`: `index` has fewer than `limit` members (quotas).
 */
export type Guard =
  | { readonly type: 'absent'; readonly kind: EntityKind; readonly id: string }
  | { readonly type: 'unchanged'; readonly kind: EntityKind; readonly id: string; readonly rev: number }
  | { readonly type: 'indexBelow'; readonly index: string; readonly limit: number };

/**
 * Creates or replaces a document. `indexes` and `uniques` are the document's complete
 * memberships after the write: the store adds what is new and drops what the previous
 * version had but this one lacks. A new index member is ordered after existing ones.
 */
export interface Put {
  readonly kind: EntityKind;
  readonly id: string;
  readonly data: unknown;
  readonly indexes: readonly string[];
  readonly uniques: readonly UniqueClaim[];
}

/** Removes a document with its index memberships and unique claims; no-op when absent. */
export interface Delete {
  readonly kind: EntityKind;
  readonly id: string;
}

/** Claims `value` in the unique constraint `name` for the document being put. */
export interface UniqueClaim {
  readonly name: string;
  readonly value: string;
}

export interface WriteContext {
  /** The account the change belongs to, or undefined for system-wide changes. */
  readonly accountId: string | undefined;
  /** `key:<api key id>`, `admin`, or `system`. */
  readonly actor: string;
  readonly requestId: string;
}

export interface AuditDraft {
  readonly accountId: string;
  /** A stable verb, e.g. `ClientCertificate.Create`. */
  readonly action: string;
  readonly target: { readonly kind: EntityKind; readonly id: string };
  /** Small, secret-free facts about the change (e.g. a serial, a hostname count). */
  readonly details?: Readonly<Record<string, string | number | boolean>>;
}

export type CommitResult =
  { readonly ok: true; readonly revision: number } | { readonly ok: false; readonly guard: number; readonly conflict?: UniqueClaim };

/** What one commit changed, for replicas and config builders that tail the store. */
export interface ChangeRecord {
  readonly revision: number;
  readonly accountId: string | undefined;
  readonly requestId: string;
  readonly at: string;
  readonly changes: readonly { readonly kind: EntityKind; readonly id: string; readonly op: 'put' | 'delete' }[];
}

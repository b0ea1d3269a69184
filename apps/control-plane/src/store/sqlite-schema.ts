/**
 * The embedded store's tables. `index_members.position` orders an index (see
 * write-order.ts); `docs` holds no membership metadata because `index_members` and
 * `unique_claims` are indexed by document. Every statement is idempotent, so opening an
 * existing file runs them harmlessly.
 */
export const SQLITE_SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (
  key   TEXT PRIMARY KEY,
  value INTEGER NOT NULL
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS docs (
  kind TEXT NOT NULL,
  id   TEXT NOT NULL,
  data TEXT NOT NULL,
  rev  INTEGER NOT NULL,
  PRIMARY KEY (kind, id)
) WITHOUT ROWID;

CREATE TABLE IF NOT EXISTS index_members (
  index_name TEXT NOT NULL,
  kind       TEXT NOT NULL,
  id         TEXT NOT NULL,
  position   INTEGER NOT NULL,
  PRIMARY KEY (index_name, kind, id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS index_members_by_position ON index_members (index_name, position);
CREATE INDEX IF NOT EXISTS index_members_by_doc ON index_members (kind, id);

CREATE TABLE IF NOT EXISTS unique_claims (
  name  TEXT NOT NULL,
  value TEXT NOT NULL,
  kind  TEXT NOT NULL,
  id    TEXT NOT NULL,
  PRIMARY KEY (name, value)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS unique_claims_by_doc ON unique_claims (kind, id);

CREATE TABLE IF NOT EXISTS changes (
  revision INTEGER PRIMARY KEY,
  record   TEXT NOT NULL
);
`;

import { auditBody, auditIndex } from './audit-entry.ts';
import { member } from './redis-keys.ts';
import type { CommitResult, Guard, Write } from './store.ts';
import { changesOf, documentJson, SLOTS_PER_REVISION } from './write-order.ts';

/**
 * What the commit script receives as its one JSON argument. Every piece of caller data
 * (document JSON, index names, unique values, the change record, audit bodies) travels as
 * a JSON *string* the script stores verbatim or splits without re-encoding: Redis's cjson
 * would otherwise turn `[]` into `{}`, `null` into a sentinel and large numbers into 14
 * significant digits. The only numbers it decodes are guard revisions and limits.
 */
interface CommitPlan {
  /** Random per call: a resend of the same command after a reconnect returns the first result. */
  readonly commit: string;
  readonly guards: readonly PlanGuard[];
  /** Members `<kind>:<id>`. */
  readonly deletes: readonly string[];
  readonly puts: readonly PlanPut[];
  readonly audit: readonly PlanAudit[];
  /** The change record as JSON, without its revision (the stream id carries it). */
  readonly record: string;
  readonly retention: string;
  readonly markerTtlMs: string;
}

type PlanGuard =
  | { readonly type: 'absent'; readonly member: string }
  | { readonly type: 'unchanged'; readonly member: string; readonly rev: number }
  | { readonly type: 'indexBelow'; readonly index: string; readonly limit: number };

interface PlanPut {
  readonly member: string;
  readonly data: string;
  /** JSON array of index names, stored as the document's membership. */
  readonly indexes: string;
  /** JSON array of [name, value] pairs, stored as the document's claims. */
  readonly uniques: string;
}

interface PlanAudit {
  readonly indexes: string;
  /** The entry's JSON without the opening brace; the script prepends `{"id":…,"revision":…,`. */
  readonly body: string;
}

/** How long a commit's marker outlives it: far longer than a reconnect takes. */
const MARKER_TTL_MS = 5 * 60_000;

export function commitPlan(write: Write, options: { commitId: string; at: string; retention: number }): string {
  const { context } = write;
  const plan: CommitPlan = {
    commit: options.commitId,
    guards: write.guards.map(planGuard),
    deletes: write.deletes.map((d) => member(d.kind, d.id)),
    puts: write.puts.map((p) => ({
      member: member(p.kind, p.id),
      data: documentJson(p.data),
      indexes: JSON.stringify(p.indexes),
      uniques: JSON.stringify(p.uniques.map((u) => [u.name, u.value])),
    })),
    audit: write.audit.map((draft) => ({
      indexes: JSON.stringify([auditIndex(draft.accountId)]),
      body: JSON.stringify(auditBody(draft, context, options.at)).slice(1),
    })),
    record: JSON.stringify({
      accountId: context.accountId,
      requestId: context.requestId,
      at: options.at,
      changes: changesOf(write),
    }),
    retention: String(options.retention),
    markerTtlMs: String(MARKER_TTL_MS),
  };
  return JSON.stringify(plan);
}

function planGuard(guard: Guard): PlanGuard {
  switch (guard.type) {
    case 'absent':
      return { type: 'absent', member: member(guard.kind, guard.id) };
    case 'unchanged':
      return { type: 'unchanged', member: member(guard.kind, guard.id), rev: guard.rev };
    case 'indexBelow':
      return { type: 'indexBelow', index: guard.index, limit: guard.limit };
  }
}

/** The script's reply: `{1, revision}`, `{0, guard}` or `{0, -1, name, value}`. */
export function commitResult(reply: unknown): CommitResult {
  if (!Array.isArray(reply) || typeof reply[0] !== 'number' || typeof reply[1] !== 'number') {
    throw new Error(`unexpected reply from the commit script: ${JSON.stringify(reply)}`);
  }
  if (reply[0] === 1) return { ok: true, revision: reply[1] };
  if (reply[1] !== -1) return { ok: false, guard: reply[1] };
  return { ok: false, guard: -1, conflict: { name: String(reply[2]), value: String(reply[3]) } };
}

/**
 * KEYS[1] the revision counter, KEYS[2] the change stream; ARGV[1] the key prefix,
 * ARGV[2] the plan. Redis runs a script alone, so checking everything first and writing
 * only once nothing can fail makes the commit all or nothing: the check phase reads and
 * queues writes in `ops` while tracking, in `state` and `holders`, what the write's own
 * earlier deletes and puts have changed, and the apply phase runs `ops` in order.
 */
export const COMMIT_SCRIPT = `
local prefix = ARGV[1]
local plan = cjson.decode(ARGV[2])

local marker = prefix .. 'commit:' .. plan.commit
local done = redis.call('GET', marker)
if done then return {1, tonumber(done)} end

local function docKey(member) return prefix .. 'doc:' .. member end
local function indexKey(name) return prefix .. 'idx:' .. name end
local function uniqueKey(name) return prefix .. 'uniq:' .. name end

for i, guard in ipairs(plan.guards) do
  local holds
  if guard.type == 'absent' then
    holds = redis.call('EXISTS', docKey(guard.member)) == 0
  elseif guard.type == 'unchanged' then
    local rev = redis.call('HGET', docKey(guard.member), 'rev')
    holds = rev ~= false and tonumber(rev) == guard.rev
  else
    holds = redis.call('ZCARD', indexKey(guard.index)) < guard.limit
  end
  if not holds then return {0, i - 1} end
end

local revision = tonumber(redis.call('GET', KEYS[1]) or '0') + 1
local revisionText = string.format('%.0f', revision)

-- member -> its memberships as the write has left them so far, false once deleted
local state = {}
local function memberships(member)
  local known = state[member]
  if known == nil then
    local stored = redis.call('HMGET', docKey(member), 'indexes', 'uniques')
    known = stored[1] and { indexes = cjson.decode(stored[1]), uniques = cjson.decode(stored[2]) } or false
    state[member] = known
  end
  return known
end

-- constraint name -> value -> member holding it as the write has left it so far, false if free
local holders = {}
local function holder(name, value)
  local byValue = holders[name]
  if not byValue then byValue = {}; holders[name] = byValue end
  local held = byValue[value]
  if held == nil then
    held = redis.call('HGET', uniqueKey(name), value)
    byValue[value] = held
  end
  return held
end

local ops = {}
local function queue(...) ops[#ops + 1] = {...} end

local function drop(member, old, keepIndexes, keepClaims)
  for _, name in ipairs(old.indexes) do
    if not keepIndexes[name] then queue('ZREM', indexKey(name), member) end
  end
  for _, claim in ipairs(old.uniques) do
    local name, value = claim[1], claim[2]
    local kept = keepClaims[name] and keepClaims[name][value]
    if not kept and holder(name, value) == member then
      holders[name][value] = false
      queue('HDEL', uniqueKey(name), value)
    end
  end
end

local slot = 0
-- Returns the conflicting claim, or nil once the put is queued.
local function put(member, data, indexesJson, uniquesJson)
  local indexes, uniques = cjson.decode(indexesJson), cjson.decode(uniquesJson)
  local keepIndexes, keepClaims = {}, {}
  for _, name in ipairs(indexes) do keepIndexes[name] = true end
  for _, claim in ipairs(uniques) do
    local held = holder(claim[1], claim[2])
    if held and held ~= member then return claim end
    keepClaims[claim[1]] = keepClaims[claim[1]] or {}
    keepClaims[claim[1]][claim[2]] = true
  end
  local old = memberships(member)
  local had = {}
  if old then
    drop(member, old, keepIndexes, keepClaims)
    for _, name in ipairs(old.indexes) do had[name] = true end
  end
  local score = string.format('%.0f', revision * ${SLOTS_PER_REVISION} + slot)
  for _, name in ipairs(indexes) do
    if not had[name] then queue('ZADD', indexKey(name), 'NX', score, member) end
  end
  for _, claim in ipairs(uniques) do
    holders[claim[1]][claim[2]] = member
    queue('HSET', uniqueKey(claim[1]), claim[2], member)
  end
  queue('HSET', docKey(member), 'data', data, 'rev', revisionText, 'indexes', indexesJson, 'uniques', uniquesJson)
  state[member] = { indexes = indexes, uniques = uniques }
  slot = slot + 1
end

for _, member in ipairs(plan.deletes) do
  local old = memberships(member)
  if old then
    drop(member, old, {}, {})
    queue('DEL', docKey(member))
    state[member] = false
  end
end

for _, p in ipairs(plan.puts) do
  local conflict = put(p.member, p.data, p.indexes, p.uniques)
  if conflict then return {0, -1, conflict[1], conflict[2]} end
end

for position, entry in ipairs(plan.audit) do
  local id = revisionText .. '-' .. (position - 1)
  put('audit:' .. id, '{"id":"' .. id .. '","revision":' .. revisionText .. ',' .. entry.body, entry.indexes, '[]')
end

for _, args in ipairs(ops) do redis.call(unpack(args)) end
redis.call('SET', KEYS[1], revisionText)
redis.call('XADD', KEYS[2], 'MAXLEN', '~', plan.retention, revisionText .. '-0', 'record', plan.record)
redis.call('SET', marker, revisionText, 'PX', plan.markerTtlMs)
return {1, revision}
`;

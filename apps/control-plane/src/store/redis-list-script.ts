import type { Listed, Stored } from './store.ts';
import { idOfMember } from './redis-keys.ts';

/**
 * KEYS[1] the index; ARGV[1] the key prefix, ARGV[2] the offset, ARGV[3] the limit (≥ 1).
 * Replies `{total, member, data, rev, member, data, rev, …}`: the size and the page come
 * from one atomic read, and so do the documents, which a commit never leaves out of step
 * with their index memberships.
 */
export const LIST_SCRIPT = `
local reply = { redis.call('ZCARD', KEYS[1]) }
local stop = tonumber(ARGV[2]) + tonumber(ARGV[3]) - 1
for _, member in ipairs(redis.call('ZRANGE', KEYS[1], ARGV[2], string.format('%.0f', stop))) do
  local doc = redis.call('HMGET', ARGV[1] .. 'doc:' .. member, 'data', 'rev')
  reply[#reply + 1] = member
  reply[#reply + 1] = doc[1]
  reply[#reply + 1] = doc[2]
end
return reply
`;

export function listResult<T>(reply: unknown): Listed<T> {
  if (!Array.isArray(reply) || typeof reply[0] !== 'number' || reply.length % 3 !== 1) {
    throw new Error('unexpected reply from the list script');
  }
  const items: Stored<T>[] = [];
  for (let i = 1; i < reply.length; i += 3) {
    items.push({ id: idOfMember(String(reply[i])), rev: Number(reply[i + 2]), data: JSON.parse(String(reply[i + 1])) });
  }
  return { total: reply[0], items };
}

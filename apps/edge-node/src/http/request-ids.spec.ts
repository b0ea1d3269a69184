import { describe, expect, it } from 'vitest';
import { createRequestIds } from './request-ids.ts';

describe('request ids', () => {
  it('are UUID-shaped, unique, and share a per-process random prefix', () => {
    const next = createRequestIds();
    const ids = Array.from({ length: 10_000 }, () => next());
    for (const id of ids.slice(0, 100)) expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(new Set(ids).size).toBe(ids.length);
    expect(new Set(ids.map((id) => id.slice(0, 24))).size).toBe(1);
    expect(createRequestIds()().slice(0, 24)).not.toBe(ids[0]!.slice(0, 24));
  });

  it('takes its prefix from one draw of the random source and counts from 1', () => {
    let draws = 0;
    const next = createRequestIds((size) => Buffer.alloc(size, ++draws));
    const first = next();
    expect(first).toBe('01010101-0101-0101-0101-000000000001');
    expect(draws).toBe(1);
  });
});

import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect, it } from 'vitest';
import { openStore } from './open-store.ts';

it('opens the embedded store, creating its directory', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'portcullis-open-'));
  try {
    const store = await openStore({ sqlitePath: path.join(dir, 'nested', 'data', 'portcullis.db') });
    const context = { accountId: undefined, actor: 'system', requestId: 'boot' };
    expect(await store.commit({ guards: [], puts: [], deletes: [], audit: [], context })).toEqual({ ok: true, revision: 1 });
    await store.close();
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

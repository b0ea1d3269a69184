import type { Store } from './store.ts';

/** Told of every store call: which operation, how long it took (seconds), whether it resolved. */
export type StoreTimer = (operation: StoreOperation, seconds: number, ok: boolean) => void;

export type StoreOperation = 'get' | 'list' | 'findUnique' | 'count' | 'commit' | 'revision' | 'changes';

/**
 * `store` with every call timed (`timer`), for the store latency metrics; results and errors
 * pass through unchanged. A commit that resolves `{ ok: false }` (a guard did not hold) is a
 * store answer, so it counts as `ok`; only rejections (infrastructure failures) do not.
 */
export function timedStore(store: Store, timer: StoreTimer): Store {
  const timed = async <T>(operation: StoreOperation, call: () => Promise<T>): Promise<T> => {
    const started = performance.now();
    try {
      const result = await call();
      timer(operation, (performance.now() - started) / 1000, true);
      return result;
    } catch (error) {
      timer(operation, (performance.now() - started) / 1000, false);
      throw error;
    }
  };
  return {
    get: (kind, id) => timed('get', () => store.get(kind, id)),
    list: (kind, index, page) => timed('list', () => store.list(kind, index, page)),
    findUnique: (name, value) => timed('findUnique', () => store.findUnique(name, value)),
    count: (index) => timed('count', () => store.count(index)),
    commit: (write) => timed('commit', () => store.commit(write)),
    revision: () => timed('revision', () => store.revision()),
    changes: (after, limit) => timed('changes', () => store.changes(after, limit)),
    close: () => store.close(),
  } satisfies Store;
}

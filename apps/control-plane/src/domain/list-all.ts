import type { EntityKind, EntityOf } from './entities.ts';
import type { Store, Stored } from '../store/store.ts';

/**
 * Every document of `index`, read in chunks. Not a snapshot: members added or removed while
 * it reads may be missed or seen; callers that act on the result guard their write.
 */
export async function listAll<K extends EntityKind>(store: Store, kind: K, index: string): Promise<Stored<EntityOf<K>>[]> {
  const chunk = 500;
  const all: Stored<EntityOf<K>>[] = [];
  for (let offset = 0; ; offset += chunk) {
    const { items } = await store.list(kind, index, { offset, limit: chunk });
    all.push(...items);
    if (items.length < chunk) return all;
  }
}

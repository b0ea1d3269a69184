import type { CommitResult, Store, Write } from '../../src/store/store.ts';

/**
 * A gate shared by several store wrappers: commits it matches wait until `parties` of them
 * have arrived (or `timeoutMs` passed), then all go on at once. Replicas racing through the
 * API then really race at the store, whatever the scheduling.
 */
export class CommitGate {
  #match: ((write: Write) => boolean) | undefined;
  #parties = 0;
  #waiting: (() => void)[] = [];
  #timer: NodeJS.Timeout | undefined;
  #before: { match: (write: Write) => boolean; action: () => Promise<unknown> } | undefined;
  /** How many matching commits arrived, and their outcomes once applied. */
  arrived = 0;
  readonly results: CommitResult[] = [];

  /** Holds the next `parties` commits that `match`. */
  arm(match: (write: Write) => boolean, parties: number, timeoutMs = 10_000): void {
    this.#match = match;
    this.#parties = parties;
    this.arrived = 0;
    this.results.length = 0;
    this.#timer = setTimeout(() => this.#open(), timeoutMs);
  }

  #open(): void {
    clearTimeout(this.#timer);
    this.#match = undefined;
    for (const go of this.#waiting.splice(0)) go();
  }

  /**
   * Runs `action` (e.g. another API call) just before the next commit that `match`es: the
   * request making that commit has done all its reads, and now the world changes under it.
   */
  before(match: (write: Write) => boolean, action: () => Promise<unknown>): void {
    this.#before = { match, action };
  }

  async pass(write: Write, commit: () => Promise<CommitResult>): Promise<CommitResult> {
    const before = this.#before;
    if (before?.match(write)) {
      this.#before = undefined;
      await before.action();
    }
    if (!this.#match?.(write)) return commit();
    this.arrived++;
    const wait = new Promise<void>((resolve) => this.#waiting.push(resolve));
    if (this.arrived >= this.#parties) this.#open();
    await wait;
    const result = await commit();
    this.results.push(result);
    return result;
  }
}

/** `store` with its commits passing through `gate`. */
export function gatedStore(store: Store, gate: CommitGate): Store {
  return {
    get: (kind, id) => store.get(kind, id),
    list: (kind, index, page) => store.list(kind, index, page),
    findUnique: (name, value) => store.findUnique(name, value),
    count: (index) => store.count(index),
    commit: (write) => gate.pass(write, () => store.commit(write)),
    revision: () => store.revision(),
    changes: (after, limit) => store.changes(after, limit),
    close: () => store.close(),
  };
}

/** True when `write` puts a document of `kind`. */
export const puts = (kind: string) => (write: Write) => write.puts.some((p) => p.kind === kind);

import type { KeyManager } from '../crypto/key-manager.ts';
import type { Store } from '../store/store.ts';
import type { DomainMetrics } from './domain-metrics.ts';

/** What the domain services need from the outside, passed in explicitly. */
export interface Deps {
  readonly store: Store;
  readonly keyManager: KeyManager;
  /** The current time; tests pass a fixed or moving clock. */
  readonly now: () => Date;
  /** Issuance and revocation counters; absent in tests that do not read them. */
  readonly metrics?: DomainMetrics;
}

import { readFile } from 'node:fs/promises';
import { resourceTypeOrder, type EncodedResource } from '@portcullis/config';
import { writeFileAtomic } from './atomic-file.ts';
import type { HeldResources } from './config-store.ts';

/** The file name of the last-known-good configuration in the state directory. */
export const lastKnownGoodFile = 'last-known-good.json';

const format = 'portcullis-edge-last-known-good/1';

/** What reading the last-known-good file found. */
export type LastKnownGood =
  | { readonly status: 'absent' }
  | { readonly status: 'loaded'; readonly savedAt: string; readonly resources: Partial<HeldResources> }
  | { readonly status: 'unreadable'; readonly reason: string };

interface SavedResource {
  readonly name: string;
  readonly version: string;
  readonly body: string;
}

/**
 * Writes the resources an edge holds, as received (name, version, base64 body), atomically
 * (mode 0600: server keys are among them). Loading checks nothing but the shape: each
 * resource goes through the config store's compiler again, whose version check catches a
 * damaged body.
 */
export async function saveLastKnownGood(file: string, resources: HeldResources, now = new Date()): Promise<void> {
  const saved = Object.fromEntries(
    resourceTypeOrder.map((type) => [
      type,
      resources[type].map((r) => ({ name: r.name, version: r.version, body: Buffer.from(r.body).toString('base64') })),
    ]),
  );
  await writeFileAtomic(file, `${JSON.stringify({ format, savedAt: now.toISOString(), resources: saved })}\n`);
}

/** Reads the last-known-good file. Never throws: a missing file is `absent`, a damaged one `unreadable`. */
export async function loadLastKnownGood(file: string): Promise<LastKnownGood> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { status: 'absent' };
    return { status: 'unreadable', reason: (error as NodeJS.ErrnoException).code ?? 'read error' };
  }
  try {
    const parsed = JSON.parse(text) as { format?: unknown; savedAt?: unknown; resources?: Record<string, unknown> };
    if (parsed.format !== format || typeof parsed.resources !== 'object' || parsed.resources === null) {
      return { status: 'unreadable', reason: 'not a last-known-good file of this format' };
    }
    const resources: Partial<Record<(typeof resourceTypeOrder)[number], EncodedResource[]>> = {};
    for (const type of resourceTypeOrder) {
      const list = parsed.resources[type] ?? [];
      if (!Array.isArray(list)) return { status: 'unreadable', reason: `${type} is not a list` };
      resources[type] = (list as SavedResource[]).map((r) => {
        if (typeof r?.name !== 'string' || typeof r.version !== 'string' || typeof r.body !== 'string') throw new Error('bad resource');
        return { name: r.name, version: r.version, body: new Uint8Array(Buffer.from(r.body, 'base64')) };
      });
    }
    return { status: 'loaded', savedAt: String(parsed.savedAt), resources };
  } catch {
    return { status: 'unreadable', reason: 'malformed JSON' };
  }
}

/** Persists after swaps without piling up writes. */
export interface LastKnownGoodWriter {
  /** Asks for a write of `held()` soon; calls made while a write runs coalesce into one more. */
  schedule(): void;
  /** Resolves when nothing is written or waiting. */
  flush(): Promise<void>;
}

/**
 * A writer that saves `held()` to `file` after each `schedule()`, at most one write at a
 * time, the last one always with the latest resources. A failed write is reported to
 * `onError` and does not stop later ones (the edge keeps serving from memory).
 */
export function lastKnownGoodWriter(file: string, held: () => HeldResources, onError: (error: unknown) => void): LastKnownGoodWriter {
  let running: Promise<void> | undefined;
  let again = false;
  const run = async () => {
    do {
      again = false;
      try {
        await saveLastKnownGood(file, held());
      } catch (error) {
        onError(error);
      }
    } while (again);
    running = undefined;
  };
  return {
    schedule() {
      if (running) again = true;
      else running = run();
    },
    async flush() {
      while (running) await running;
    },
  };
}

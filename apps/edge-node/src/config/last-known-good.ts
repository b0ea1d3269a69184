import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { resourceTypeOrder, type EncodedResource, type ResourceType } from '@portcullis/config';
import { writeFileAtomic } from './atomic-file.ts';
import type { ConfigStore, HeldResources } from './config-store.ts';

/** The file name of the last-known-good configuration in the state directory. */
export const lastKnownGoodFile = 'last-known-good.json';

/** Version 2 added the whole-file digest; a version 1 file is refused (the edge then waits for the control plane). */
const format = 'portcullis-edge-last-known-good/2';

/** What reading the last-known-good file found. */
export type LastKnownGood =
  | { readonly status: 'absent' }
  | { readonly status: 'loaded'; readonly savedAt: string; readonly resources: HeldResources }
  | { readonly status: 'unreadable'; readonly reason: string };

interface SavedResource {
  readonly name: string;
  readonly version: string;
  /** Base64 of the body as received. */
  readonly body: string;
}

type SavedResources = { readonly [T in ResourceType]: readonly SavedResource[] };

/**
 * The file's integrity digest: SHA-256 (hex) over a canonical serialisation of everything the
 * file says (format, savedAt, and every resource's name, version and base64 body, by type in
 * `resourceTypeOrder`, in file order), independent of JSON whitespace and key order. It
 * detects damage (a changed character, a lost or added resource, a truncated file), not
 * forgery: whoever can write the state directory can also read the node key in it.
 */
function digestOf(savedAt: string, resources: SavedResources): string {
  const canonical = JSON.stringify([
    format,
    savedAt,
    resourceTypeOrder.map((type) => [type, resources[type].map((r) => [r.name, r.version, r.body])]),
  ]);
  return createHash('sha256').update(canonical).digest('hex');
}

/**
 * Writes the resources an edge holds, as received (name, version, base64 body), with the
 * whole-file digest, atomically (mode 0600: server keys are among them).
 */
export async function saveLastKnownGood(file: string, resources: HeldResources, now = new Date()): Promise<void> {
  const saved = Object.fromEntries(
    resourceTypeOrder.map((type) => [
      type,
      resources[type].map((r) => ({ name: r.name, version: r.version, body: Buffer.from(r.body).toString('base64') })),
    ]),
  ) as unknown as SavedResources;
  const savedAt = now.toISOString();
  await writeFileAtomic(file, `${JSON.stringify({ format, savedAt, sha256: digestOf(savedAt, saved), resources: saved })}\n`);
}

/**
 * Reads the last-known-good file and checks it as a whole. Never throws: a missing file is
 * `absent`; a file that is not exactly what `saveLastKnownGood` wrote is `unreadable` with the
 * reason (unreadable, not JSON, another format, a field missing or of the wrong type, a
 * resource type absent or unknown, the digest not matching, a name saved twice). Resource
 * contents are checked by `ConfigStore.restore`, which compiles every one again (version =
 * hash of the body, decoding, names, content) and refuses the set whole.
 */
export async function loadLastKnownGood(file: string): Promise<LastKnownGood> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { status: 'absent' };
    return { status: 'unreadable', reason: (error as NodeJS.ErrnoException).code ?? 'read error' };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { status: 'unreadable', reason: 'not JSON (truncated or damaged)' };
  }
  const checked = checkSaved(parsed);
  if (typeof checked === 'string') return { status: 'unreadable', reason: checked };
  const resources = Object.fromEntries(
    resourceTypeOrder.map((type) => [
      type,
      checked.resources[type].map((r): EncodedResource => ({
        name: r.name,
        version: r.version,
        body: new Uint8Array(Buffer.from(r.body, 'base64')),
      })),
    ]),
  ) as unknown as HeldResources;
  return { status: 'loaded', savedAt: checked.savedAt, resources };
}

/** The parsed file when it is whole and intact, else why not. */
function checkSaved(parsed: unknown): { savedAt: string; resources: SavedResources } | string {
  if (!isRecord(parsed) || parsed['format'] !== format) return 'not a last-known-good file of this format';
  const { savedAt, sha256, resources } = parsed;
  if (typeof savedAt !== 'string' || typeof sha256 !== 'string' || !isRecord(resources)) return 'savedAt, sha256 or resources missing';
  for (const type of Object.keys(resources)) {
    if (!resourceTypeOrder.includes(type as ResourceType)) return `unknown resource type ${JSON.stringify(type.slice(0, 40))}`;
  }
  for (const type of resourceTypeOrder) {
    const list = resources[type];
    if (!Array.isArray(list)) return `${type} is missing or not a list`;
    const names = new Set<string>();
    for (const r of list as unknown[]) {
      if (!isRecord(r) || typeof r['name'] !== 'string' || typeof r['version'] !== 'string' || typeof r['body'] !== 'string') {
        return `a ${type} resource lacks its name, version or body`;
      }
      if (names.has(r['name'])) return `${r['name'].slice(0, 100)} is saved twice`;
      names.add(r['name']);
    }
  }
  const saved = resources as unknown as SavedResources;
  if (digestOf(savedAt, saved) !== sha256) return 'the file does not match its sha256 digest (damaged)';
  return { savedAt, resources: saved };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** What `restoreLastKnownGood` did. */
export type LastKnownGoodRestore =
  | { readonly status: 'absent' }
  | { readonly status: 'restored'; readonly savedAt: string }
  | { readonly status: 'refused'; readonly reason: string };

/**
 * Loads the last-known-good file into `store` (an empty one) whole or not at all: when the
 * file or any resource in it is damaged nothing is restored, the store records why (its
 * readiness says `last-known-good-refused`) and stays empty until the control plane's
 * configuration arrives. The caller logs `refused` as a warning. Never throws.
 */
export async function restoreLastKnownGood(store: ConfigStore, file: string): Promise<LastKnownGoodRestore> {
  const saved = await loadLastKnownGood(file);
  if (saved.status === 'absent') return saved;
  if (saved.status === 'unreadable') {
    store.refuseRestore(saved.reason);
    return { status: 'refused', reason: saved.reason };
  }
  const outcome = store.restore(saved.resources);
  return outcome.ok ? { status: 'restored', savedAt: saved.savedAt } : { status: 'refused', reason: outcome.reason };
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

import { constants, accessSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { UsageError } from './command.ts';

/** A file the user named as input, as text; a missing or unreadable file is a usage error. */
export function readTextFile(file: string, what: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    throw new UsageError(`${what}: cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
}

/** A file the user named as input, as bytes. */
export function readBinaryFile(file: string, what: string): Buffer {
  try {
    return readFileSync(file);
  } catch (error) {
    throw new UsageError(`${what}: cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
}

/**
 * Makes sure `files` can be created before anything is asked of the API: their directory
 * exists (created 0700 when missing) and is writable, and none of them exists yet. A key the
 * API shows once must not be lost to a full path or an existing file after it was issued.
 */
export function prepareNewFiles(files: readonly string[]): void {
  for (const file of files) {
    const dir = path.dirname(file);
    try {
      mkdirSync(dir, { recursive: true, mode: 0o700 });
      accessSync(dir, constants.W_OK);
    } catch (error) {
      throw new UsageError(`cannot write into ${dir}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
    }
    if (existsSync(file)) throw new UsageError(`${file} already exists; choose another --out or remove it`);
  }
}

/** Creates `file` readable by its owner only (0600); never replaces an existing file. */
export function writeNewPrivateFile(file: string, content: string | Uint8Array): void {
  writeFileSync(file, content, { mode: 0o600, flag: 'wx' });
}

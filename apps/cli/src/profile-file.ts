import { chmodSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { UsageError } from './command.ts';

/** What `portcullis login` saves: where the control plane is and the key to call it with. */
export interface Profile {
  readonly url?: string;
  readonly apiKey?: string;
}

/**
 * The profile file: `PORTCULLIS_PROFILE` when set, else `$XDG_CONFIG_HOME/portcullis/profile.json`
 * (by default `~/.config/portcullis/profile.json`).
 */
export function defaultProfilePath(env: Readonly<Record<string, string | undefined>>): string {
  if (env['PORTCULLIS_PROFILE']) return path.resolve(env['PORTCULLIS_PROFILE']);
  const configHome = env['XDG_CONFIG_HOME'] || path.join(env['HOME'] || os.homedir(), '.config');
  return path.join(configHome, 'portcullis', 'profile.json');
}

/** The profile at `file`, or undefined when there is none; a damaged file is a usage error. */
export function readProfile(file: string): Profile | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new UsageError(`cannot read the profile ${file}: ${(error as Error).message}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new UsageError(`the profile ${file} is not valid JSON; run portcullis login again`);
  }
  const profile = value as Record<string, unknown> | null;
  const valid =
    profile !== null &&
    typeof profile === 'object' &&
    (profile['url'] === undefined || typeof profile['url'] === 'string') &&
    (profile['apiKey'] === undefined || typeof profile['apiKey'] === 'string');
  if (!valid) throw new UsageError(`the profile ${file} must be an object with string "url" and "apiKey"`);
  return {
    ...(typeof profile['url'] === 'string' ? { url: profile['url'] } : {}),
    ...(typeof profile['apiKey'] === 'string' ? { apiKey: profile['apiKey'] } : {}),
  };
}

/**
 * Writes the profile readable by its owner only (0600, in a 0700 directory when it creates
 * one). It is written beside the target and renamed into place, so a reader never sees half
 * a file and the key never sits in a file with wider permissions.
 */
export function writeProfile(file: string, profile: Profile): void {
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, `${JSON.stringify(profile, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
  chmodSync(temporary, 0o600);
  renameSync(temporary, file);
}

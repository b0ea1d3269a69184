import { readFileSync } from 'node:fs';
import { UsageError } from './command.ts';
import { defaultProfilePath, readProfile } from './profile-file.ts';

/** Where the control plane runs when nothing says otherwise (`npm start`, `npm run control-plane`). */
export const defaultUrl = 'http://127.0.0.1:8080';

/** The connection settings given as global flags. */
export interface SettingFlags {
  readonly url?: string | undefined;
  readonly apiKey?: string | undefined;
  readonly apiKeyFile?: string | undefined;
  readonly profile?: string | undefined;
}

export type SettingSource = 'flag' | 'environment' | 'profile' | 'default';

/** Where to call and with which key, and where each came from. */
export interface Settings {
  readonly url: string;
  readonly apiKey: string | undefined;
  readonly profilePath: string;
  readonly source: { readonly url: SettingSource; readonly apiKey: SettingSource | undefined };
}

/**
 * Resolves each setting on its own, first found wins: flags (`--url`, `--api-key` or
 * `--api-key-file`), then the environment (`PORTCULLIS_URL`, `PORTCULLIS_API_KEY` or
 * `PORTCULLIS_API_KEY_FILE`), then the profile file (`--profile`, `PORTCULLIS_PROFILE`, or the
 * default path). The profile is read only when a setting is still missing.
 */
export function resolveSettings(flags: SettingFlags, env: Readonly<Record<string, string | undefined>>): Settings {
  const profilePath = flags.profile ?? defaultProfilePath(env);
  let profile: ReturnType<typeof readProfile> | null = null;
  const fromProfile = () => (profile ??= readProfile(profilePath));

  const flagKey = flags.apiKey ?? (flags.apiKeyFile !== undefined ? keyFromFile(flags.apiKeyFile, '--api-key-file') : undefined);
  const envKey =
    env['PORTCULLIS_API_KEY'] ||
    (env['PORTCULLIS_API_KEY_FILE'] ? keyFromFile(env['PORTCULLIS_API_KEY_FILE'], 'PORTCULLIS_API_KEY_FILE') : undefined);
  const [apiKey, apiKeySource] = first<string>([
    [flagKey, 'flag'],
    [envKey, 'environment'],
    [() => fromProfile()?.apiKey, 'profile'],
  ]);
  const [url, urlSource] = first<string>([
    [flags.url, 'flag'],
    [env['PORTCULLIS_URL'] || undefined, 'environment'],
    [() => fromProfile()?.url, 'profile'],
    [defaultUrl, 'default'],
  ]);
  return { url: checkUrl(url!), apiKey, profilePath, source: { url: urlSource!, apiKey: apiKeySource } };
}

function first<T>(
  candidates: readonly [T | undefined | (() => T | undefined), SettingSource][],
): [T | undefined, SettingSource | undefined] {
  for (const [candidate, source] of candidates) {
    const value = typeof candidate === 'function' ? (candidate as () => T | undefined)() : candidate;
    if (value !== undefined && value !== '') return [value, source];
  }
  return [undefined, undefined];
}

function keyFromFile(file: string, what: string): string {
  try {
    return readFileSync(file, 'utf8').trim();
  } catch (error) {
    throw new UsageError(`${what}: cannot read ${file}: ${(error as Error).message}`);
  }
}

/** An http(s) URL without credentials (a key belongs in the Authorization header, not the URL). */
export function checkUrl(url: string): string {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UsageError(`the control plane URL "${url}" is not a URL (e.g. ${defaultUrl})`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:')
    throw new UsageError(`the control plane URL must be http:// or https://`);
  if (parsed.username || parsed.password) throw new UsageError('the control plane URL must not hold credentials; use --api-key');
  return url;
}

import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { UsageError } from './command.ts';
import { defaultProfilePath, readProfile, writeProfile } from './profile-file.ts';
import { defaultUrl, resolveSettings } from './settings.ts';

describe('settings', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'portcullis-settings-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const profile = path.join(dir, 'profile.json');
  writeProfile(profile, { url: 'http://profile.test:1', apiKey: 'pk_profile' });

  it('takes each setting from flags, else the environment, else the profile, else the default URL', () => {
    const env = { PORTCULLIS_URL: 'http://env.test:2', PORTCULLIS_API_KEY: 'pk_env' };
    expect(resolveSettings({ profile, url: 'http://flag.test:3', apiKey: 'pk_flag' }, env)).toMatchObject({
      url: 'http://flag.test:3',
      apiKey: 'pk_flag',
      source: { url: 'flag', apiKey: 'flag' },
    });
    expect(resolveSettings({ profile }, env)).toMatchObject({
      url: 'http://env.test:2',
      apiKey: 'pk_env',
      source: { url: 'environment', apiKey: 'environment' },
    });
    // Each setting on its own: the key from the environment, the URL from the profile.
    expect(resolveSettings({ profile }, { PORTCULLIS_API_KEY: 'pk_env' })).toMatchObject({
      url: 'http://profile.test:1',
      apiKey: 'pk_env',
    });
    expect(resolveSettings({ profile }, {})).toMatchObject({
      url: 'http://profile.test:1',
      apiKey: 'pk_profile',
      source: { url: 'profile', apiKey: 'profile' },
    });
    expect(resolveSettings({ profile: path.join(dir, 'absent.json') }, {})).toMatchObject({
      url: defaultUrl,
      apiKey: undefined,
      source: { url: 'default', apiKey: undefined },
    });
  });

  it('reads keys from files (flag and environment), trimmed', () => {
    const keyFile = path.join(dir, 'key');
    writeFileSync(keyFile, 'pk_from_file\n');
    expect(resolveSettings({ profile, apiKeyFile: keyFile }, { PORTCULLIS_API_KEY: 'pk_env' }).apiKey).toBe('pk_from_file');
    expect(resolveSettings({ profile }, { PORTCULLIS_API_KEY_FILE: keyFile }).apiKey).toBe('pk_from_file');
    expect(() => resolveSettings({ profile, apiKeyFile: path.join(dir, 'missing') }, {})).toThrow(UsageError);
  });

  it('reads the profile only when a setting is missing, and calls a damaged one a usage error', () => {
    const damaged = path.join(dir, 'damaged.json');
    writeFileSync(damaged, '{"url": ');
    expect(resolveSettings({ profile: damaged, url: 'http://flag.test:3' }, { PORTCULLIS_API_KEY: 'pk_env' }).apiKey).toBe('pk_env');
    expect(() => resolveSettings({ profile: damaged }, {})).toThrow(/not valid JSON/);
    writeFileSync(damaged, '{"apiKey": 42}');
    expect(() => readProfile(damaged)).toThrow(UsageError);
  });

  it('refuses URLs that are not http(s) or carry credentials, without echoing them', () => {
    expect(() => resolveSettings({ url: 'ftp://x.test' }, {})).toThrow(UsageError);
    expect(() => resolveSettings({ url: 'http://user:secret@x.test' }, {})).toThrow(/must not hold credentials/);
    try {
      resolveSettings({ url: 'http://user:secret@x.test' }, {});
    } catch (error) {
      expect((error as Error).message).not.toContain('secret');
    }
  });

  it('writes the profile 0600, replacing the previous one whole', () => {
    const file = path.join(dir, 'nested', 'dir', 'profile.json');
    writeProfile(file, { url: 'http://a.test', apiKey: 'pk_one' });
    writeProfile(file, { url: 'http://b.test', apiKey: 'pk_two' });
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(path.dirname(file)).mode & 0o777).toBe(0o700);
    expect(JSON.parse(readFileSync(file, 'utf8'))).toEqual({ url: 'http://b.test', apiKey: 'pk_two' });
  });

  it('finds the default profile through PORTCULLIS_PROFILE, XDG_CONFIG_HOME or HOME', () => {
    expect(defaultProfilePath({ PORTCULLIS_PROFILE: '/p/x.json', XDG_CONFIG_HOME: '/xdg', HOME: '/home/u' })).toBe('/p/x.json');
    expect(defaultProfilePath({ XDG_CONFIG_HOME: '/xdg', HOME: '/home/u' })).toBe('/xdg/portcullis/profile.json');
    expect(defaultProfilePath({ HOME: '/home/u' })).toBe('/home/u/.config/portcullis/profile.json');
  });
});

import { ApiClient, ApiError } from '../api-client.ts';
import { UsageError, type Command } from '../command.ts';
import { writeProfile } from '../profile-file.ts';

/**
 * `portcullis login`: saves the URL and key given as flags (or in the environment) to the
 * profile file, mode 0600, after checking the key authenticates. Never prints the key.
 */
export const loginCommand: Command = {
  name: 'login',
  summary: 'Save the control plane URL and API key in the profile file (mode 0600)',
  operations: ['GET /v1/sites'],
  details:
    'Takes --url and --api-key (or --api-key-file, or PORTCULLIS_URL and PORTCULLIS_API_KEY) and writes them to\n' +
    'the profile (--profile, PORTCULLIS_PROFILE, default ~/.config/portcullis/profile.json). The key is checked\n' +
    'against the control plane first (--no-verify skips that). Account keys and the administrator token both work.',
  options: { 'no-verify': { type: 'boolean', description: 'Save without checking the key against the control plane' } },
  run: async (ctx) => {
    const { url, apiKey, source, profilePath } = ctx.settings;
    if (apiKey === undefined || source.apiKey === 'profile') {
      throw new UsageError('login needs the key to save: --api-key, --api-key-file or PORTCULLIS_API_KEY');
    }
    if (!ctx.flag('no-verify')) {
      try {
        await new ApiClient({ url, apiKey }).get('sites', { pageSize: 1 });
      } catch (error) {
        // The administrator token may not list sites, which proves it authenticated.
        if (!(error instanceof ApiError && error.code === 'Auth.AccountOnly')) throw error;
      }
    }
    writeProfile(profilePath, { url, apiKey });
    ctx.out.note(`saved ${url} and the API key to ${profilePath} (mode 0600)`);
  },
};

/** `portcullis config`: which URL, key source and profile the CLI would use; never the key. */
export const configCommand: Command = {
  name: 'config',
  summary: "Show the URL, the API key's source and the profile file the CLI would use (never the key)",
  operations: [],
  run: async (ctx) => {
    const { url, source, profilePath, apiKey } = ctx.settings;
    const shown = { url, urlSource: source.url, apiKeySource: apiKey === undefined ? 'none' : source.apiKey, profile: profilePath };
    if (ctx.out.format === 'json') return ctx.out.json(shown);
    ctx.out.item(shown, [
      ['url', 'url'],
      ['url from', 'urlSource'],
      ['api key from', 'apiKeySource'],
      ['profile', 'profile'],
    ]);
  },
};

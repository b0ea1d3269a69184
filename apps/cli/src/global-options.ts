import type { OptionSpec } from './command.ts';

/** Options every command takes, anywhere on the command line. */
export const globalOptions: Readonly<Record<string, OptionSpec>> = {
  url: { type: 'string', value: 'URL', description: 'Control plane URL (else PORTCULLIS_URL, the profile, http://127.0.0.1:8080)' },
  'api-key': { type: 'string', value: 'KEY', description: 'API key or administrator token (else PORTCULLIS_API_KEY, the profile)' },
  'api-key-file': { type: 'string', value: 'FILE', description: 'Read the API key from FILE (else PORTCULLIS_API_KEY_FILE)' },
  profile: { type: 'string', value: 'FILE', description: 'Profile file (else PORTCULLIS_PROFILE, ~/.config/portcullis/profile.json)' },
  output: { type: 'string', short: 'o', value: 'table|json', description: 'Output format (default table)' },
  help: { type: 'boolean', short: 'h', description: 'Show help' },
};

/** Global options that take a value, as they may be written on the command line. */
export const globalValueOptions: ReadonlySet<string> = new Set(
  Object.entries(globalOptions).flatMap(([name, spec]) =>
    spec.type === 'string' ? [`--${name}`, ...(spec.short ? [`-${spec.short}`] : [])] : [],
  ),
);

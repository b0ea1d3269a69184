import type { CommandContext } from '../command.ts';
import { prepareNewFiles, writeNewPrivateFile } from '../files.ts';

/**
 * Where a secret the API shows once (a new API key, a join token) goes: into `--secret-out FILE`
 * (created 0600, never replaced) when given, else printed. Returns the file, if any. Call
 * `prepare` before the API call and `deliver` with the secret after it.
 */
export function secretDestination(ctx: CommandContext): { prepare(): void; deliver(label: string, secret: string): void } {
  const file = ctx.string('secret-out');
  return {
    prepare: () => (file !== undefined ? prepareNewFiles([file]) : undefined),
    deliver: (label, secret) => {
      if (file === undefined) return ctx.out.note(`The ${label} is shown only this once.`);
      writeNewPrivateFile(file, `${secret}\n`);
      ctx.out.note(`wrote the ${label} to ${file} (mode 0600)`);
    },
  };
}

export const secretOutOption = {
  type: 'string',
  value: 'FILE',
  description: 'Write the secret into FILE (0600) instead of printing it',
} as const;

import { parseArgs } from 'node:util';
import { ApiClient, ApiError } from './api-client.ts';
import { CommandContext, UsageError, type Command, type CommandGroup } from './command.ts';
import { commandTree, isGroup } from './commands/index.ts';
import { globalOptions, globalValueOptions } from './global-options.ts';
import { commandHelp, groupHelp, topHelp } from './help.ts';
import { Output, outputFormats, type OutputFormat } from './output.ts';
import { Progress } from './progress.ts';
import { resolveSettings, type Settings } from './settings.ts';

/** Where the CLI reads its environment and writes its output (the process, or a test). */
export interface Io {
  readonly env: Readonly<Record<string, string | undefined>>;
  stdout(text: string): void;
  stderr(text: string): void;
  /** Progress is shown only on a terminal. */
  readonly stderrIsTerminal: boolean;
}

/** Global options written without a separate value (`--help`, `--url=…`). */
const globalFlagTokens: ReadonlySet<string> = new Set(
  Object.entries(globalOptions).flatMap(([name, spec]) => [`--${name}`, ...(spec.short ? [`-${spec.short}`] : [])]),
);

/** The CLI's exit codes. */
export const exitCode = { ok: 0, apiError: 1, usage: 2 } as const;

/**
 * Splits the command words (`certs`, `create`) from everything else. Global options may come
 * before them (`portcullis -o json certs list`); the first option that is not global ends the
 * command words, so an option's value is never taken for a verb.
 */
function splitCommandWords(argv: readonly string[]): { words: string[]; rest: string[] } {
  const words: string[] = [];
  const rest: string[] = [];
  let wordsEnded = false;
  for (let i = 0; i < argv.length; i++) {
    const token = argv[i]!;
    if (token === '--') {
      rest.push(...argv.slice(i));
      break;
    }
    if (token.startsWith('-') && token !== '-') {
      rest.push(token);
      if (globalValueOptions.has(token)) {
        if (i + 1 < argv.length) rest.push(argv[++i]!);
      } else if (!globalFlagTokens.has(token.replace(/=.*$/, '')) && words.length > 0) {
        wordsEnded = true;
      }
      continue;
    }
    if (!wordsEnded && words.length < 2) words.push(token);
    else rest.push(token);
  }
  return { words, rest };
}

type Resolved =
  | { kind: 'top' }
  | { kind: 'group'; group: CommandGroup }
  | { kind: 'command'; command: Command; group?: CommandGroup; positionals: string[]; byDefault?: boolean };

/** The command the words name: a group alone runs its default verb, if it has one, else shows its help. */
function resolve(words: readonly string[]): Resolved {
  const [first, second] = words;
  if (first === undefined) return { kind: 'top' };
  const entry = commandTree.find((e) => e.name === first);
  if (!entry) throw new UsageError(`unknown command "${first}"`);
  if (!isGroup(entry)) return { kind: 'command', command: entry, positionals: words.slice(1) };
  if (second === undefined) {
    const fallback = entry.commands.find((c) => c.name === entry.defaultCommand);
    return fallback
      ? { kind: 'command', command: fallback, group: entry, positionals: [], byDefault: true }
      : { kind: 'group', group: entry };
  }
  const command = entry.commands.find((c) => c.name === second);
  if (!command) throw new UsageError(`unknown verb "${second}" for ${entry.name}; verbs: ${entry.commands.map((c) => c.name).join(', ')}`);
  return { kind: 'command', command, group: entry, positionals: [] };
}

/**
 * Runs one invocation of `portcullis` and returns its exit code: 0 success, 1 the API refused
 * (its code and message on stderr) or could not be reached, 2 a usage error (nothing sent).
 */
export async function run(argv: readonly string[], io: Io): Promise<number> {
  let helpHint = 'portcullis --help';
  let format: OutputFormat = 'table';
  try {
    const { words, rest } = splitCommandWords(argv[0] === 'help' ? [...argv.slice(1), '--help'] : argv);
    const target = resolve(words);
    if (target.kind === 'top' || target.kind === 'group') {
      const text = target.kind === 'top' ? topHelp(commandTree) : groupHelp(target.group);
      const asked = parseArgs({ args: rest, options: globalOptions, strict: false }).values['help'] === true;
      (asked ? io.stdout : io.stderr)(text);
      return asked ? exitCode.ok : exitCode.usage;
    }
    const { command, group } = target;
    helpHint = `portcullis ${group ? `${group.name} ` : ''}${command.name} --help`;
    const parsed = parseCommandLine(command, [...target.positionals, ...rest]);
    if (parsed.values['help'] === true) {
      // `portcullis audit --help` describes the group, whose help names its default verb.
      io.stdout(target.byDefault && group ? groupHelp(group) : commandHelp(command, group));
      return exitCode.ok;
    }
    const chosen = (parsed.values['output'] as string | undefined) ?? 'table';
    if (!outputFormats.includes(chosen as OutputFormat)) throw new UsageError(`--output must be table or json, not "${chosen}"`);
    format = chosen as OutputFormat;
    const out = new Output(format, io.stdout, io.stderr);
    await command.run(contextFor(command, parsed, out, io));
    return exitCode.ok;
  } catch (error) {
    return report(error, io, helpHint, format);
  }
}

function parseCommandLine(command: Command, args: string[]): ReturnType<typeof parseArgs> {
  const declared = command.args ?? [];
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args,
      options: { ...globalOptions, ...(command.options ?? {}) },
      allowPositionals: declared.length > 0,
      strict: true,
    });
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (parsed.values['help'] === true) return parsed;
  const variadic = declared.at(-1)?.variadic === true;
  if (!variadic && parsed.positionals.length > declared.length) {
    throw new UsageError(`unexpected argument "${parsed.positionals[declared.length]}"`);
  }
  const missing = declared.find((a, i) => !a.optional && !a.variadic && parsed.positionals[i] === undefined);
  if (missing) throw new UsageError(`the argument ${missing.name.toUpperCase()} is required`);
  return parsed;
}

function contextFor(command: Command, parsed: ReturnType<typeof parseArgs>, out: Output, io: Io): CommandContext {
  const flag = (name: string) => parsed.values[name] as string | undefined;
  let settings: Settings | undefined;
  const getSettings = () =>
    (settings ??= resolveSettings(
      { url: flag('url'), apiKey: flag('api-key'), apiKeyFile: flag('api-key-file'), profile: flag('profile') },
      io.env,
    ));
  let api: ApiClient | undefined;
  return new CommandContext({
    command,
    values: parsed.values,
    positionals: parsed.positionals,
    settings: getSettings,
    api: () => {
      if (api) return api;
      const { url, apiKey, profilePath } = getSettings();
      if (apiKey === undefined) {
        throw new UsageError(
          `no API key: give --api-key or --api-key-file, set PORTCULLIS_API_KEY, or run portcullis login (profile ${profilePath})`,
        );
      }
      return (api = new ApiClient({ url, apiKey }));
    },
    out,
    progress: new Progress(io.stderr, io.stderrIsTerminal),
    env: io.env,
  });
}

/** Prints an error the way its kind calls for and returns the exit code; never prints a key. */
function report(error: unknown, io: Io, helpHint: string, format: OutputFormat): number {
  if (error instanceof UsageError) {
    io.stderr(`portcullis: ${error.message}\nSee '${helpHint}'.\n`);
    return exitCode.usage;
  }
  if (error instanceof ApiError) {
    if (format === 'json') {
      const { code, message, status, requestId, details } = error;
      io.stderr(`${JSON.stringify({ error: { code, message, status, requestId, details } })}\n`);
    } else {
      const details = error.details ? ` ${JSON.stringify(error.details)}` : '';
      const request = error.requestId ? ` (request ${error.requestId})` : '';
      io.stderr(`portcullis: ${error.code}: ${error.message}${details}${request}\n`);
    }
    return exitCode.apiError;
  }
  io.stderr(`portcullis: ${error instanceof Error ? error.message : String(error)}\n`);
  return exitCode.apiError;
}

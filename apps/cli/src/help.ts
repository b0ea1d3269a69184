import type { Command, CommandGroup, OptionSpec } from './command.ts';
import { globalOptions } from './global-options.ts';

const indent = (text: string) => text.replace(/^/gm, '  ');

function optionLines(options: Readonly<Record<string, OptionSpec>>): string {
  const entries = Object.entries(options).map(([name, spec]) => {
    const flag = `${spec.short ? `-${spec.short}, ` : ''}--${name}${spec.type === 'string' ? ` ${spec.value ?? 'VALUE'}` : ''}`;
    const notes = [spec.required ? 'required' : '', spec.multiple ? 'repeatable' : ''].filter(Boolean);
    return [flag, `${spec.description}${notes.length ? ` (${notes.join(', ')})` : ''}`] as const;
  });
  const width = Math.max(...entries.map(([flag]) => flag.length));
  return entries.map(([flag, text]) => `  ${flag.padEnd(width)}  ${text}`).join('\n');
}

function listLines(items: readonly { name: string; summary: string }[]): string {
  const width = Math.max(...items.map((item) => item.name.length));
  return items.map((item) => `  ${item.name.padEnd(width)}  ${item.summary}`).join('\n');
}

const configuration =
  'Configuration: each setting from flags, else the environment (PORTCULLIS_URL, PORTCULLIS_API_KEY),\n' +
  'else the profile file that `portcullis login` writes.\n' +
  'Exit codes: 0 success, 1 the API refused (its error code on stderr) or could not be reached, 2 usage error.';

/** `portcullis --help`. */
export function topHelp(tree: readonly { name: string; summary: string }[]): string {
  return [
    'Usage: portcullis <command> [<verb>] [options]',
    '',
    'The command line for a Portcullis control plane: client certificates, CAs, hostname bindings,',
    'WAF rules, sites, accounts and edges.',
    '',
    'Commands:',
    listLines(tree),
    '',
    'Global options:',
    optionLines(globalOptions),
    '',
    configuration,
    '',
    "Run 'portcullis <command> --help' for its verbs and options.",
    '',
  ].join('\n');
}

/** `portcullis certs --help`. */
export function groupHelp(group: CommandGroup): string {
  return [
    `Usage: portcullis ${group.name} <verb> [options]`,
    '',
    group.summary,
    ...(group.defaultCommand ? ['', `Without a verb: portcullis ${group.name} ${group.defaultCommand}.`] : []),
    '',
    'Verbs:',
    listLines(group.commands),
    '',
    `Run 'portcullis ${group.name} <verb> --help' for a verb's options.`,
    '',
  ].join('\n');
}

/** `portcullis certs create --help`; `group` is undefined for single commands such as login. */
export function commandHelp(command: Command, group?: CommandGroup): string {
  const args = (command.args ?? []).map((a) => {
    const name = `${a.name.toUpperCase()}${a.variadic ? '...' : ''}`;
    return a.optional ? `[${name}]` : name;
  });
  const usage = ['Usage: portcullis', ...(group ? [group.name] : []), command.name, ...args, '[options]'].join(' ');
  const argList = command.args?.length
    ? ['', 'Arguments:', listLines(command.args.map((a) => ({ name: a.name.toUpperCase(), summary: a.description })))]
    : [];
  const options = command.options && Object.keys(command.options).length ? ['', 'Options:', optionLines(command.options)] : [];
  return [
    usage,
    '',
    command.summary,
    ...(command.details ? ['', indent(command.details)] : []),
    ...argList,
    ...options,
    '',
    'Global options:',
    optionLines(globalOptions),
    '',
  ].join('\n');
}

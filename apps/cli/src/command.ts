import type { ApiClient } from './api-client.ts';
import type { Output } from './output.ts';
import type { Progress } from './progress.ts';
import type { Settings } from './settings.ts';

/** One option of a command, as `node:util` parseArgs takes it, plus what help shows. */
export interface OptionSpec {
  readonly type: 'string' | 'boolean';
  readonly description: string;
  readonly short?: string;
  readonly multiple?: boolean;
  /** Placeholder in help, e.g. `ID`; string options only. */
  readonly value?: string;
  /** Help marks it required; the command enforces it with `ctx.required`. */
  readonly required?: boolean;
}

/** A positional argument, in order; only the last may be variadic. */
export interface ArgumentSpec {
  readonly name: string;
  readonly description: string;
  readonly optional?: boolean;
  readonly variadic?: boolean;
}

/** One `portcullis <group> <verb>` command. */
export interface Command {
  readonly name: string;
  readonly summary: string;
  /** Longer help text after the summary: contracts, examples. */
  readonly details?: string;
  readonly args?: readonly ArgumentSpec[];
  readonly options?: Readonly<Record<string, OptionSpec>>;
  /** The API operations it calls, as the OpenAPI document names them (`POST /v1/sites`). */
  readonly operations: readonly string[];
  run(ctx: CommandContext): Promise<void>;
}

/** A noun of the CLI (`certs`, `rules`, …) and its verbs. */
export interface CommandGroup {
  readonly name: string;
  readonly summary: string;
  readonly commands: readonly Command[];
  /** The verb run when only the group is given (e.g. `portcullis audit`). */
  readonly defaultCommand?: string;
}

/**
 * A mistake in how the CLI was called (unknown option, missing argument, bad value): exit
 * code 2, nothing sent to the API.
 */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

type Values = Readonly<Record<string, string | boolean | (string | boolean)[] | undefined>>;

/** What a command sees: its parsed arguments, the API, output and progress. */
export class CommandContext {
  readonly #values: Values;
  readonly #positionals: readonly string[];
  readonly #command: Command;
  readonly #api: () => ApiClient;
  readonly #settings: () => Settings;
  readonly out: Output;
  readonly progress: Progress;
  /** The environment the CLI runs in (for secrets given as variables). */
  readonly env: Readonly<Record<string, string | undefined>>;

  constructor(init: {
    command: Command;
    values: Values;
    positionals: readonly string[];
    api: () => ApiClient;
    settings: () => Settings;
    out: Output;
    progress: Progress;
    env: Readonly<Record<string, string | undefined>>;
  }) {
    this.#command = init.command;
    this.#values = init.values;
    this.#positionals = init.positionals;
    this.#api = init.api;
    this.#settings = init.settings;
    this.out = init.out;
    this.progress = init.progress;
    this.env = init.env;
  }

  /** The API client; built on first use, so configuration errors surface only when it is needed. */
  get api(): ApiClient {
    return this.#api();
  }

  /** The connection settings (flags > environment > profile), resolved on first use. */
  get settings(): Settings {
    return this.#settings();
  }

  /** A string option, or undefined when absent. */
  string(name: string): string | undefined {
    const value = this.#values[name];
    return typeof value === 'string' ? value : undefined;
  }

  /** A string option that must be present. */
  required(name: string): string {
    const value = this.string(name);
    if (value === undefined || value === '') throw new UsageError(`--${name} is required`);
    return value;
  }

  /** Every value of a repeatable string option. */
  strings(name: string): string[] {
    const value = this.#values[name];
    return Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : typeof value === 'string' ? [value] : [];
  }

  flag(name: string): boolean {
    return this.#values[name] === true;
  }

  /** An integer option within bounds, or undefined when absent. */
  integer(name: string, min: number, max: number): number | undefined {
    const text = this.string(name);
    if (text === undefined) return undefined;
    const value = /^-?\d+$/.test(text) ? Number(text) : NaN;
    if (!Number.isSafeInteger(value) || value < min || value > max) {
      throw new UsageError(`--${name} must be a whole number from ${min} to ${max}, not "${text}"`);
    }
    return value;
  }

  /** One of a fixed set of words (case-insensitive), or undefined when absent. */
  choice<T extends string>(name: string, choices: readonly T[]): T | undefined {
    const text = this.string(name);
    if (text === undefined) return undefined;
    const found = choices.find((c) => c === text.toLowerCase());
    if (!found) throw new UsageError(`--${name} must be one of ${choices.join(', ')}, not "${text}"`);
    return found;
  }

  /** A `true`/`false` option, or undefined when absent. */
  boolean(name: string): boolean | undefined {
    const value = this.choice(name, ['true', 'false'] as const);
    return value === undefined ? undefined : value === 'true';
  }

  /** The positional argument `name` (declared in the command's `args`). */
  arg(name: string): string {
    const index = this.#argIndex(name);
    const value = this.#positionals[index];
    if (value === undefined || value === '') throw new UsageError(`the argument ${name.toUpperCase()} is required`);
    return value;
  }

  /** The positional argument `name`, or undefined when it was not given. */
  optionalArg(name: string): string | undefined {
    return this.#positionals[this.#argIndex(name)];
  }

  /** Every value of the variadic argument `name`. */
  rest(name: string): string[] {
    return this.#positionals.slice(this.#argIndex(name));
  }

  #argIndex(name: string): number {
    const index = (this.#command.args ?? []).findIndex((a) => a.name === name);
    if (index < 0) throw new Error(`command ${this.#command.name} declares no argument ${name}`);
    return index;
  }
}

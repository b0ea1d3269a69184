import { ApiError } from '../../domain/api-error.ts';
import { decimalInteger } from '../decimal-integer.ts';
import { fieldErrorCode } from '../field-error-codes.ts';

/**
 * The parameters of one RPC call, merged from the query string and the body (JSON or form),
 * with typed readers. Names are the original product's PascalCase names. Readers throw the
 * parameter's catalogue code (`InvalidParameter.ValidityDays`, …, else `InvalidParameter`)
 * naming the parameter when a value is missing or of the wrong shape, and nothing else:
 * only the caller's own keys are read (`constructor` or `__proto__` are never inherited
 * values), and no value is repeated in a message.
 */
export class RpcParams {
  readonly #values: Readonly<Record<string, unknown>>;

  constructor(query: unknown, body: unknown) {
    const values: Record<string, unknown> = Object.create(null);
    for (const source of [query, body]) {
      for (const [name, value] of Object.entries(asRecord(source))) values[name] = value;
    }
    this.#values = values;
  }

  string(name: string): string;
  string(name: string, optional: 'optional'): string | undefined;
  string(name: string, optional?: 'optional'): string | undefined {
    const value = this.#values[name];
    if (value === undefined || value === '') {
      if (optional) return undefined;
      throw missing(name);
    }
    if (typeof value !== 'string' && typeof value !== 'number') throw invalid(name, 'a string');
    const text = String(value);
    if (text.length > 1_000_000) throw invalid(name, 'shorter');
    return text;
  }

  /**
   * A whole number: a JSON integer, or text of decimal digits (`decimalInteger`). `1.5`,
   * `0x10`, `1e3`, ` 7` or `true` are refused, never rounded or read in another base; the
   * range is the operation's rule.
   */
  integer(name: string): number | undefined {
    const value = this.#values[name];
    if (value === undefined || value === '') return undefined;
    const number = typeof value === 'number' ? value : typeof value === 'string' ? decimalInteger(value) : undefined;
    if (number === undefined || !Number.isSafeInteger(number)) throw invalid(name, 'a whole number (decimal digits)');
    return number;
  }

  boolean(name: string): boolean | undefined {
    const value = this.#values[name];
    if (value === undefined || value === '') return undefined;
    if (value === true || value === 'true') return true;
    if (value === false || value === 'false') return false;
    throw invalid(name, 'true or false');
  }

  /**
   * A list, given as a JSON array in a JSON body, as a JSON-encoded array in the query or a
   * form, or flattened as `Name.1`, `Name.2`, … (the styles the original's SDKs send).
   * Required: an empty list is given as `[]`, never by leaving the parameter out (a missing
   * or mistyped list must not silently clear what it would replace).
   */
  stringList(name: string): string[] {
    const value = this.#values[name];
    if (Array.isArray(value)) return value.map((v) => checkListItem(name, v));
    if (value !== undefined && typeof value !== 'string') throw invalid(name, 'a list of strings');
    if (typeof value === 'string' && value.trim().startsWith('[')) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(value);
      } catch {
        throw invalid(name, 'a JSON array of strings');
      }
      if (!Array.isArray(parsed)) throw invalid(name, 'a JSON array of strings');
      return parsed.map((v) => checkListItem(name, v));
    }
    if (typeof value === 'string') return [value];
    const flattened: string[] = [];
    for (let i = 1; Object.hasOwn(this.#values, `${name}.${i}`); i++) flattened.push(checkListItem(name, this.#values[`${name}.${i}`]));
    if (flattened.length === 0) throw missing(name);
    return flattened;
  }
}

function asRecord(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

function checkListItem(name: string, value: unknown): string {
  if (typeof value !== 'string') throw invalid(name, 'a list of strings');
  return value;
}

function missing(name: string): ApiError {
  return new ApiError(fieldErrorCode([name]) ?? 'InvalidParameter', { message: `${name} is required.`, details: { parameter: name } });
}

function invalid(name: string, expected: string): ApiError {
  return new ApiError(fieldErrorCode([name]) ?? 'InvalidParameter', {
    message: `${name} must be ${expected}.`,
    details: { parameter: name },
  });
}

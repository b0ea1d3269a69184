import type { Json } from './api-client.ts';

export const outputFormats = ['table', 'json'] as const;
export type OutputFormat = (typeof outputFormats)[number];

/** A column (or a row of a single item): its header and the field it shows (a dotted path or a function). */
export type Column = readonly [header: string, pick: string | ((item: Json) => unknown)];

/** A list as commands hand it over: the items shown and how many exist in all. */
export interface Listing {
  readonly totalCount: number;
  readonly items: readonly Json[];
}

/**
 * What commands print. Data goes to stdout — with `json` exactly the API's answer (or, for
 * lists, `{ totalCount, items }`), with `table` the chosen columns; notes for people (files
 * written, warnings, paging hints) go to stderr so stdout stays parseable.
 */
export class Output {
  readonly format: OutputFormat;
  readonly #stdout: (text: string) => void;
  readonly #stderr: (text: string) => void;

  constructor(format: OutputFormat, stdout: (text: string) => void, stderr: (text: string) => void) {
    this.format = format;
    this.#stdout = stdout;
    this.#stderr = stderr;
  }

  /** One object: as JSON, or as a two-column table of `rows`. */
  item(value: Json, rows: readonly Column[]): void {
    if (this.format === 'json') return this.json(value);
    const width = Math.max(...rows.map(([header]) => header.length));
    for (const [header, pick] of rows) {
      const cell = formatCell(pickValue(value, pick));
      this.#stdout(`${`${header}:`.padEnd(width + 2)}${cell}\n`);
    }
  }

  /** Several objects: as JSON, or as a table with one row per item. */
  list(listing: Listing, columns: readonly Column[]): void {
    if (this.format === 'json') return this.json({ totalCount: listing.totalCount, items: listing.items });
    if (listing.items.length === 0) {
      this.#stdout('(none)\n');
      return;
    }
    this.#stdout(renderTable(listing.items, columns));
  }

  /** A value printed as pretty JSON whatever the format (for commands whose answer has no table). */
  json(value: unknown): void {
    this.#stdout(`${JSON.stringify(value, null, 2)}\n`);
  }

  /** Raw text on stdout (a PEM, say), in table format only: JSON output already holds it. */
  text(text: string): void {
    if (this.format === 'table') this.#stdout(text.endsWith('\n') ? text : `${text}\n`);
  }

  /** Raw text on stdout whatever the format (what `--pem` asks for). */
  raw(text: string): void {
    this.#stdout(text.endsWith('\n') ? text : `${text}\n`);
  }

  /** A note for the person at the terminal, on stderr. */
  note(text: string): void {
    this.#stderr(`${text}\n`);
  }
}

/** Rows of cells padded into columns under upper-case headers; the last column is not padded. */
export function renderTable(items: readonly Json[], columns: readonly Column[]): string {
  const rows = [
    columns.map(([header]) => header.toUpperCase()),
    ...items.map((item) => columns.map(([, pick]) => formatCell(pickValue(item, pick)))),
  ];
  const widths = columns.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  return rows
    .map(
      (row) =>
        row
          .map((cell, i) => (i === row.length - 1 ? cell : cell.padEnd(widths[i]!)))
          .join('  ')
          .trimEnd() + '\n',
    )
    .join('');
}

function pickValue(item: Json, pick: Column[1]): unknown {
  if (typeof pick === 'function') return pick(item);
  let value: unknown = item;
  for (const key of pick.split('.')) value = value !== null && typeof value === 'object' ? (value as Json)[key] : undefined;
  return value;
}

/** One line per cell: absent → "-", lists joined with commas, flat objects as name=value, others as JSON. */
export function formatCell(value: unknown): string {
  if (value === undefined || value === null || value === '') return '-';
  if (Array.isArray(value)) return value.length === 0 ? '-' : value.map((v) => formatCell(v)).join(', ');
  if (typeof value === 'object') {
    const entries = Object.entries(value);
    // A flat record (audit details, say) reads best as name=value pairs.
    if (entries.every(([, v]) => v === null || typeof v !== 'object')) return entries.map(([k, v]) => `${k}=${String(v)}`).join(' ') || '-';
    return JSON.stringify(value);
  }
  return String(value).replace(/[\r\n]+/g, ' ');
}

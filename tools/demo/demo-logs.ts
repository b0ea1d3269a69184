import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { createInterface } from 'node:readline';

/** pino's level number for `warn`: lines at or above it are also shown on the terminal. */
const warnLevel = 40;

/**
 * Where the demo's processes write: every line of a part's stdout and stderr is appended to
 * `<logs>/<file>.log`; the edge's per-request lines (pino `msg: "request"` in `edge`'s output)
 * go to `<logs>/access.log` instead. Warnings, errors and lines that are not JSON (a crash's stack
 * trace) are also shown on the terminal, prefixed with the part's name, so the terminal stays
 * quiet while the files hold everything at `info`.
 */
export class DemoLogs {
  readonly dir: string;
  private readonly files = new Map<string, WriteStream>();

  constructor(dir: string) {
    this.dir = dir;
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  }

  /** The path of the log file `name` (`control-plane`, `edge`, `access`, `origin`). */
  path(name: string): string {
    return path.join(this.dir, `${name}.log`);
  }

  /** Routes a child's output; `label` prefixes what reaches the terminal. */
  follow(label: string, file: string, stream: Readable): void {
    createInterface({ input: stream, crlfDelay: Infinity }).on('line', (line) => this.route(label, file, line));
  }

  private route(label: string, file: string, line: string): void {
    let parsed: { level?: unknown; msg?: unknown } | undefined;
    try {
      const value: unknown = JSON.parse(line);
      if (value !== null && typeof value === 'object') parsed = value as typeof parsed;
    } catch {
      parsed = undefined;
    }
    this.file(file === 'edge' && parsed?.msg === 'request' ? 'access' : file).write(`${line}\n`);
    const loud = parsed === undefined ? line.trim() !== '' : typeof parsed.level === 'number' && parsed.level >= warnLevel;
    if (loud) process.stderr.write(`[${label}] ${line}\n`);
  }

  private file(name: string): WriteStream {
    let stream = this.files.get(name);
    if (!stream) {
      stream = createWriteStream(this.path(name), { flags: 'a', mode: 0o600 });
      this.files.set(name, stream);
    }
    return stream;
  }
}

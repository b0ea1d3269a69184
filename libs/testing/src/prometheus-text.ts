/** One sample of a scrape: metric (or series) name, labels, value. */
export interface PrometheusSample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

/** A parsed scrape: its samples, and the names declared with `# TYPE` and their types. */
export interface PrometheusScrape {
  readonly samples: readonly PrometheusSample[];
  readonly types: ReadonlyMap<string, string>;
  /** The value of the one sample named `name` whose labels include `labels`, summed over matches; 0 when none. */
  value(name: string, labels?: Readonly<Record<string, string>>): number;
  /** The label sets of every sample named `name`. */
  labelSets(name: string): Readonly<Record<string, string>>[];
}

const sampleLine = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+\d+)?$/;
const labelPair = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

/**
 * Parses the Prometheus text exposition format (version 0.0.4) strictly enough for tests: a
 * line that is neither a comment nor a well-formed sample throws, so a malformed scrape fails
 * the test rather than reading as zero.
 */
export function parsePrometheusText(text: string): PrometheusScrape {
  const samples: PrometheusSample[] = [];
  const types = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (line === '') continue;
    if (line.startsWith('#')) {
      const type = /^# TYPE (\S+) (\S+)$/.exec(line);
      if (type) types.set(type[1]!, type[2]!);
      continue;
    }
    const match = sampleLine.exec(line);
    if (!match) throw new Error(`not a Prometheus sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const pair of (match[2] ?? '').matchAll(labelPair))
      labels[pair[1]!] = pair[2]!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));
    samples.push({ name: match[1]!, labels, value: Number(match[3]) });
  }
  const matches = (sample: PrometheusSample, name: string, labels: Readonly<Record<string, string>>) =>
    sample.name === name && Object.entries(labels).every(([key, value]) => sample.labels[key] === value);
  return {
    samples,
    types,
    value: (name, labels = {}) => samples.filter((s) => matches(s, name, labels)).reduce((sum, s) => sum + s.value, 0),
    labelSets: (name) => samples.filter((s) => s.name === name).map((s) => s.labels),
  };
}

/** One sample of a scrape: `name{labels} value`. */
export type Sample = Readonly<{ name: string; labels: Readonly<Record<string, string>>; value: number }>;

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+\d+)?$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;
const unescape = (value: string) => value.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c));

/**
 * The samples of a scrape in Prometheus's text format (version 0.0.4); comment lines (`# HELP`,
 * `# TYPE`) are left out. A line that is no sample throws, so a malformed scrape fails the test.
 */
export function parsePrometheusText(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line.trim() === '' || line.startsWith('#')) continue;
    const match = SAMPLE.exec(line);
    if (!match) throw new Error(`not a sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const [, name, value] of (match[2] ?? '').matchAll(LABEL)) labels[name!] = unescape(value!);
    const raw = match[3]!;
    samples.push({ name: match[1]!, labels, value: raw === '+Inf' ? Infinity : raw === '-Inf' ? -Infinity : Number(raw) });
  }
  return samples;
}

/** The metric families a scrape declares (`# TYPE name type`), by name. */
export function metricTypes(text: string): Map<string, string> {
  const types = new Map<string, string>();
  for (const [, name, type] of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) types.set(name!, type!);
  return types;
}

/**
 * The sum of the samples named `name` whose labels include `labels`.
 *
 * @example
 * valueOf(samples, 'xsaga_sagas_failed_total', { reason: 'OUT_OF_STOCK' })
 */
export function valueOf(samples: readonly Sample[], name: string, labels: Readonly<Record<string, string>> = {}): number {
  return samples
    .filter((s) => s.name === name && Object.entries(labels).every(([key, value]) => s.labels[key] === value))
    .reduce((sum, s) => sum + s.value, 0);
}

/** Whether a sample named `name` with `labels` is in the scrape. */
export const hasSample = (samples: readonly Sample[], name: string, labels: Readonly<Record<string, string>> = {}): boolean =>
  samples.some((s) => s.name === name && Object.entries(labels).every(([key, value]) => s.labels[key] === value));

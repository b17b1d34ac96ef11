import { Gauge, type Registry } from 'prom-client';
import { withDeadline } from '../../runtime/deadline.ts';

/** A read made when Prometheus scrapes: undefined when the source did not answer in time. */
export type ScrapedRead<T> = () => Promise<T | undefined>;

/** Reads shared for this long: every gauge fed by one source is collected from one read per scrape. */
const SHARED_FOR_MS = 1000;

/**
 * Whether each source read at scrape time answered within its bound, in `registry`: a gauge fed by
 * a source that did not is left out of the scrape, and this says why.
 */
export function sourceUpGauge(registry: Registry): Gauge<'source'> {
  const existing = registry.getSingleMetric('xsaga_metrics_source_up');
  if (existing) return existing as Gauge<'source'>;
  return new Gauge({
    name: 'xsaga_metrics_source_up',
    help: 'Whether a source read at scrape time (store backlog, consumer lag, read model) answered within its bound: 1, or 0.',
    labelNames: ['source'],
    registers: [registry],
  });
}

/**
 * `read` bounded by `timeoutMs`, made once for all the gauges it feeds in one scrape (the
 * registry collects them together), and its success recorded on `up` as `source`. A failure or a
 * late answer is undefined: the scrape goes on without those gauges.
 */
export function scrapedSource<T>(source: string, read: () => Promise<T>, options: Readonly<{ up: Gauge<'source'>; timeoutMs: number }>): ScrapedRead<T> {
  let last: { at: number; value: Promise<T | undefined> } | undefined;
  return () => {
    const now = Date.now();
    if (last && now - last.at < SHARED_FOR_MS) return last.value;
    const value = withDeadline(read, options.timeoutMs, () => new Error(`${source}: no answer within ${options.timeoutMs} ms`)).then(
      (answer) => {
        options.up.set({ source }, 1);
        return answer;
      },
      () => {
        options.up.set({ source }, 0);
        return undefined;
      },
    );
    last = { at: now, value };
    return value;
  };
}

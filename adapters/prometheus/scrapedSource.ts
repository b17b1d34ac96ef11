import { Gauge, type Registry } from 'prom-client';
import { withDeadline } from '../../runtime/deadline.ts';

/** A read made when Prometheus scrapes: undefined when the source did not answer in time. */
export type ScrapedRead<T> = (() => Promise<T | undefined>) &
  Readonly<{
    /** Takes the source out of the scrape and of `xsaga_metrics_source_up`: a relay standing down reads nothing. */
    forget(): void;
    /** Puts it back. */
    remember(): void;
  }>;

/** `xsaga_metrics_source_up` and the sources it reports on. */
export type SourcesUp = Readonly<{ gauge: Gauge<'source'>; sources: Set<() => Promise<unknown>> }>;

/** Reads shared for this long: every gauge fed by one source is collected from one read per scrape. */
const SHARED_FOR_MS = 1000;

const upOf = new WeakMap<Registry, SourcesUp>();

/**
 * Whether each source read at scrape time answered within its bound, in `registry` (one per
 * registry): a gauge fed by a source that did not is left out of the scrape, and this says why. It
 * waits for the reads of the scrape it is part of, so one scrape tells both.
 */
export function sourcesUp(registry: Registry): SourcesUp {
  const existing = upOf.get(registry);
  if (existing) return existing;
  const sources = new Set<() => Promise<unknown>>();
  const gauge = new Gauge({
    name: 'xsaga_metrics_source_up',
    help: 'Whether a source read at scrape time (store backlog, consumer lag, read model) answered within its bound: 1, or 0.',
    labelNames: ['source'],
    registers: [registry],
    async collect() {
      await Promise.all([...sources].map((read) => read()));
    },
  });
  const up = { gauge, sources };
  upOf.set(registry, up);
  return up;
}

/**
 * `read` bounded by `timeoutMs`, made once for all the gauges it feeds in one scrape (the
 * registry collects them together), and its success recorded on `up` as `source`. A failure or a
 * late answer is undefined: the scrape goes on without those gauges.
 */
export function scrapedSource<T>(source: string, read: () => Promise<T>, options: Readonly<{ up: SourcesUp; timeoutMs: number }>): ScrapedRead<T> {
  const { gauge, sources } = options.up;
  let last: { at: number; value: Promise<T | undefined> } | undefined;
  const scraped = (): Promise<T | undefined> => {
    const now = Date.now();
    if (last && now - last.at < SHARED_FOR_MS) return last.value;
    const value = withDeadline(read, options.timeoutMs, () => new Error(`${source}: no answer within ${options.timeoutMs} ms`)).then(
      (answer) => {
        gauge.set({ source }, 1);
        return answer;
      },
      () => {
        gauge.set({ source }, 0);
        return undefined;
      },
    );
    last = { at: now, value };
    return value;
  };
  sources.add(scraped);
  return Object.assign(scraped, {
    forget() {
      sources.delete(scraped);
      last = undefined;
      gauge.remove({ source });
    },
    remember: () => void sources.add(scraped),
  });
}

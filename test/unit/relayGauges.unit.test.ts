import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { registerRelayGauges } from '../../adapters/prometheus/relayGauges.ts';
import { scrapedSource, sourcesUp } from '../../adapters/prometheus/scrapedSource.ts';
import type { ConsumerLag } from '../../runtime/messageBus.ts';
import type { StoreBacklog } from '../../runtime/sagaStore.ts';
import { hasSample, parsePrometheusText, valueOf } from '../support/prometheusText.ts';

const backlog: StoreBacklog = { unpublishedOutbox: 3, oldestUnpublishedAgeMs: 7500, timersArmed: 5, timersOverdue: 1, oldestOverdueAgeMs: 42_000, sagasWithDeadLetters: 0 };
const lags: ConsumerLag[] = [
  { group: 'g', topic: 't', partition: 0, lag: 4 },
  { group: 'g', topic: 't', partition: 1, lag: 0 },
];

/** A relay's gauges on fake sources; `reads` counts the reads each source got. */
function relayOn(read: { backlog: () => Promise<StoreBacklog>; lag: () => Promise<readonly ConsumerLag[]> }, timeoutMs = 1000) {
  const registry = new Registry();
  const up = sourcesUp(registry);
  const reads = { backlog: 0, lag: 0 };
  const gauges = registerRelayGauges(registry, {
    backlog: scrapedSource('store_backlog', () => (reads.backlog++, read.backlog()), { up, timeoutMs }),
    consumerLag: scrapedSource('consumer_lag', () => (reads.lag++, read.lag()), { up, timeoutMs }),
  });
  return { gauges, reads, scrape: async () => parsePrometheusText(await registry.metrics()) };
}

describe('the relay leader\'s gauges, read at scrape time', () => {
  it('are served by the leader only, each source read once per scrape; a standby says it is one and nothing more', async () => {
    const relay = relayOn({ backlog: async () => backlog, lag: async () => lags });
    const standby = await relay.scrape();
    expect(valueOf(standby, 'xsaga_relay_leader')).toBe(0);
    expect(hasSample(standby, 'xsaga_outbox_unpublished')).toBe(false);
    expect(relay.reads).toEqual({ backlog: 0, lag: 0 });

    relay.gauges.leading(true);
    const leader = await relay.scrape();
    expect(valueOf(leader, 'xsaga_relay_leader')).toBe(1);
    expect(valueOf(leader, 'xsaga_outbox_unpublished')).toBe(3);
    expect(valueOf(leader, 'xsaga_outbox_oldest_unpublished_age_seconds')).toBe(7.5);
    expect(valueOf(leader, 'xsaga_timers_pending')).toBe(5);
    expect(valueOf(leader, 'xsaga_timers_overdue')).toBe(1);
    expect(valueOf(leader, 'xsaga_timers_oldest_overdue_age_seconds')).toBe(42);
    expect(valueOf(leader, 'xsaga_consumer_lag', { group: 'g', topic: 't', partition: '0' })).toBe(4);
    expect(valueOf(leader, 'xsaga_metrics_source_up', { source: 'store_backlog' })).toBe(1);
    // Five gauges fed by the backlog, one read.
    expect(relay.reads).toEqual({ backlog: 1, lag: 1 });

    relay.gauges.leading(false);
    const steppedDown = await relay.scrape();
    expect(valueOf(steppedDown, 'xsaga_relay_leader')).toBe(0);
    expect(hasSample(steppedDown, 'xsaga_outbox_unpublished')).toBe(false);
    expect(hasSample(steppedDown, 'xsaga_consumer_lag')).toBe(false);
    expect(hasSample(steppedDown, 'xsaga_metrics_source_up')).toBe(false);
  });

  it('leave out what a source that fails or hangs would feed, say so, and serve the rest of the scrape', async () => {
    const relay = relayOn({ backlog: () => new Promise<never>(() => undefined), lag: async () => Promise.reject(new Error('broker down')) }, 50);
    relay.gauges.leading(true);
    const began = Date.now();
    const samples = await relay.scrape();
    expect(Date.now() - began).toBeLessThan(5_000);
    expect(valueOf(samples, 'xsaga_metrics_source_up', { source: 'store_backlog' })).toBe(0);
    expect(valueOf(samples, 'xsaga_metrics_source_up', { source: 'consumer_lag' })).toBe(0);
    expect(hasSample(samples, 'xsaga_consumer_lag')).toBe(false);
    expect(valueOf(samples, 'xsaga_relay_leader')).toBe(1);
  });
});

import { Gauge, type Registry } from 'prom-client';
import type { ConsumerLag } from '../../runtime/messageBus.ts';
import type { StoreBacklog } from '../../runtime/sagaStore.ts';
import type { ScrapedRead } from './scrapedSource.ts';

export type RelayGauges = Readonly<{
  /** Called as this process takes or gives up the relay's lock: only the leader reports the system's backlog. */
  leading(isLeader: boolean): void;
}>;

/**
 * What the relay's leader reads at scrape time for the whole system: the outbox and the timers it
 * drains, and how far every consumer group lags. Standbys report `xsaga_relay_leader 0` only, so
 * that each of these series comes from one process.
 */
export function registerRelayGauges(
  registry: Registry,
  sources: Readonly<{ backlog: ScrapedRead<StoreBacklog>; consumerLag?: ScrapedRead<readonly ConsumerLag[]> }>,
): RelayGauges {
  let isLeader = false;
  const scraped = [sources.backlog, sources.consumerLag];
  // Nothing is read until this process leads.
  for (const source of scraped) source?.forget();
  new Gauge({
    name: 'xsaga_relay_leader',
    help: 'Whether this process leads the relay (outbox sweep, timers, retention): 1, or 0 on a standby.',
    registers: [registry],
    collect() {
      this.set(isLeader ? 1 : 0);
    },
  });
  const fromBacklog = (name: string, help: string, pick: (backlog: StoreBacklog) => number) =>
    new Gauge({
      name,
      help,
      registers: [],
      async collect() {
        const backlog = await sources.backlog();
        if (backlog) this.set(pick(backlog));
        else this.reset();
      },
    });
  const leaderOnly: Gauge[] = [
    fromBacklog('xsaga_outbox_unpublished', 'Outbox rows committed and not yet published.', (b) => b.unpublishedOutbox),
    fromBacklog('xsaga_outbox_oldest_unpublished_age_seconds', 'Age of the oldest unpublished outbox row (0 when none).', (b) => b.oldestUnpublishedAgeMs / 1000),
    fromBacklog('xsaga_timers_pending', 'Durable timers armed and not yet fired.', (b) => b.timersArmed),
    fromBacklog('xsaga_timers_overdue', 'Durable timers past their due time and not yet fired.', (b) => b.timersOverdue),
    fromBacklog('xsaga_timers_oldest_overdue_age_seconds', 'How long ago the oldest overdue timer was due (0 when none).', (b) => b.oldestOverdueAgeMs / 1000),
  ];
  if (sources.consumerLag) {
    const read = sources.consumerLag;
    leaderOnly.push(
      new Gauge({
        name: 'xsaga_consumer_lag',
        help: 'Messages in a partition past the offset its consumer group committed.',
        labelNames: ['group', 'topic', 'partition'],
        registers: [],
        async collect() {
          const lags = await read();
          this.reset();
          for (const { group, topic, partition, lag } of lags ?? []) this.set({ group, topic, partition: String(partition) }, lag);
        },
      }),
    );
  }
  return {
    leading(leader) {
      if (leader === isLeader) return;
      isLeader = leader;
      for (const gauge of leaderOnly) {
        if (leader) registry.registerMetric(gauge);
        else registry.removeSingleMetric((gauge as unknown as { name: string }).name);
      }
      // A standby reads nothing: what its sources last said as a leader would be stale.
      for (const source of scraped) {
        if (leader) source?.remember();
        else source?.forget();
      }
    },
  };
}

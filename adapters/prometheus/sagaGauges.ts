import { Gauge, type Registry } from 'prom-client';
import type { ScrapedRead } from './scrapedSource.ts';

/** The sagas of one machine in one state that is not final, and how long ago the one that moved longest ago last moved. */
export type StateCount = Readonly<{ machine: string; state: string; count: number; oldestAgeSeconds: number }>;

/**
 * What the api reads at scrape time from its read model and store: sagas in flight per state, the
 * age of the oldest in each, and the sagas that wait for a person, by why.
 */
export function registerSagaGauges(
  registry: Registry,
  sources: Readonly<{ states: ScrapedRead<readonly StateCount[]>; attention: ScrapedRead<Readonly<Record<string, number>>> }>,
): void {
  const registers = [registry];
  const fromStates = (name: string, help: string, pick: (state: StateCount) => number) =>
    new Gauge({
      name,
      help,
      labelNames: ['machine', 'state'],
      registers,
      async collect() {
        const states = await sources.states();
        this.reset();
        for (const state of states ?? []) this.set({ machine: state.machine, state: state.state }, pick(state));
      },
    });
  fromStates('xsaga_sagas_in_flight', 'Sagas in a state that is not final, by the read model.', (s) => s.count);
  fromStates('xsaga_saga_state_oldest_age_seconds', 'Per state that is not final, how long ago its saga that moved longest ago last moved.', (s) => s.oldestAgeSeconds);
  new Gauge({
    name: 'xsaga_sagas_needing_attention',
    help: 'Sagas that wait for a person: COMPENSATION_PARKED (read model) or POISON_MESSAGE (a dead letter nobody replayed).',
    labelNames: ['reason'],
    registers,
    async collect() {
      const attention = await sources.attention();
      this.reset();
      for (const [reason, count] of Object.entries(attention ?? {})) this.set({ reason }, count);
    },
  });
}

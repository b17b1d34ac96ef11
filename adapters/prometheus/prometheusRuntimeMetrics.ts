import { Counter, Histogram, type Registry } from 'prom-client';
import type { RuntimeMetrics } from '../../runtime/runtimeMetrics.ts';
import { BUCKETS } from './buckets.ts';

/**
 * The runtime's reports as Prometheus counters and histograms in `registry`. Counters count what
 * this process committed: sum them over the processes of a system.
 */
export function createPrometheusRuntimeMetrics(registry: Registry): RuntimeMetrics {
  const registers = [registry];
  const started = new Counter({ name: 'xsaga_sagas_started_total', help: 'Sagas started (their first event committed).', labelNames: ['machine', 'version'], registers });
  const completed = new Counter({ name: 'xsaga_sagas_completed_total', help: 'Sagas that reached a final state that is no failure.', labelNames: ['machine', 'version'], registers });
  const failed = new Counter({ name: 'xsaga_sagas_failed_total', help: 'Sagas that reached a failed final state, by reason.', labelNames: ['machine', 'version', 'reason'], registers });
  const duration = new Histogram({
    name: 'xsaga_saga_duration_seconds',
    help: 'From a saga\'s first event to its final one, by the times the events carry.',
    labelNames: ['machine', 'version', 'outcome'],
    buckets: [...BUCKETS.sagaSeconds],
    registers,
  });
  const dwell = new Histogram({
    name: 'xsaga_saga_state_dwell_seconds',
    help: 'How long sagas stayed in a state before an event moved them out, by the times the events carry.',
    labelNames: ['machine', 'state'],
    buckets: [...BUCKETS.sagaSeconds],
    registers,
  });
  const cache = new Counter({ name: 'xsaga_actor_cache_lookups_total', help: 'Live sagas looked up in the actor cache: hit, or miss (hydrated from the store).', labelNames: ['result'], registers });
  const armed = new Counter({ name: 'xsaga_timers_armed_total', help: 'Durable timers armed (committed with the transition that armed them).', registers });
  const fired = new Counter({ name: 'xsaga_timers_fired_total', help: 'Durable timers fired by the scheduler (turned into inbox messages).', registers });
  const published = new Counter({ name: 'xsaga_outbox_published_total', help: 'Outbox rows published, by the process that committed them (writer) or by the relay\'s sweep.', labelNames: ['path'], registers });
  const deadLetters = new Counter({ name: 'xsaga_dead_letters_total', help: 'Messages dead-lettered, by the consumer that refused them and why.', labelNames: ['consumer', 'reason'], registers });
  const commands = new Counter({
    name: 'xsaga_participant_commands_total',
    help: 'Commands a participant answered, by command, outcome (performed, duplicate, transient, silent, dead_lettered) and reply type.',
    labelNames: ['participant', 'command', 'outcome', 'reply'],
    registers,
  });
  // Created with no labels too, so that a fresh process shows zeros rather than nothing.
  cache.inc({ result: 'hit' }, 0);
  cache.inc({ result: 'miss' }, 0);

  return {
    sagaStarted: ({ machine, version }) => started.inc({ machine, version: String(version) }),
    stateLeft: ({ machine, state, seconds }) => dwell.observe({ machine, state }, seconds),
    sagaEnded({ machine, version, failed: isFailure, reason, seconds }) {
      const labels = { machine, version: String(version) };
      if (isFailure) failed.inc({ ...labels, reason });
      else completed.inc(labels);
      if (seconds !== undefined) duration.observe({ ...labels, outcome: isFailure ? 'failed' : 'completed' }, seconds);
    },
    actorCacheLookups(hits, misses) {
      if (hits > 0) cache.inc({ result: 'hit' }, hits);
      if (misses > 0) cache.inc({ result: 'miss' }, misses);
    },
    timersArmed: (count) => armed.inc(count),
    timersFired: (count) => fired.inc(count),
    outboxPublished: (path, count) => published.inc({ path }, count),
    deadLettered: (consumer, reason, count) => deadLetters.inc({ consumer, reason }, count),
    participantCommand: ({ participant, command, outcome, reply }) => commands.inc({ participant, command, outcome, reply }),
  };
}

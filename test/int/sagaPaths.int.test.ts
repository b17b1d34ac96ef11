import { afterAll, describe, expect, it } from 'vitest';
import { createElasticsearchViewStore } from '../../adapters/elasticsearch/elasticsearchViewStore.ts';
import { createKafkaMessageBus } from '../../adapters/kafka/kafkaMessageBus.ts';
import { createRedisIdempotencyGuard } from '../../adapters/redis/redisIdempotencyGuard.ts';
import { createSqlSagaStore } from '../../adapters/sql/sqlSagaStore.ts';
import { runVerifyReplayCommand } from '../../app/commands/verifyReplay.ts';
import { loadConfig } from '../../app/config.ts';
import { sagaCatalog } from '../../app/sagaCatalog.ts';
import { startProjector } from '../../runtime/projector.ts';
import { allTopics, topicsFor } from '../../orders/topics.ts';
import { createCommandHandler } from '../../participants/participant.ts';
import { systemClock } from '../../runtime/clock.ts';
import { replyMeanings } from '../../runtime/safety/participantContract.ts';
import { createOutboxRelay } from '../../runtime/outboxRelay.ts';
import { createSagaRuntime } from '../../runtime/sagaRuntime.ts';
import { verifyReplay } from '../../runtime/verifyReplay.ts';
import { coverageOf, formatCoverage } from '../graph/coverage.ts';
import { generateVariantPaths } from '../graph/variantPaths.ts';
import { pathModelFor } from '../graph/pathModels.ts';
import { expectedView, expectStoredRun, planRun, stepKind, withoutTime, type PlannedRun } from '../graph/runtimeRun.ts';
import { scriptedParticipant } from '../graph/scriptedParticipants.ts';
import { createStepDriver } from '../graph/stepDriver.ts';
import { deleteTestIndices, TEST_ES_URL } from '../support/elasticsearch.ts';
import { eventually } from '../support/eventually.ts';
import { TEST_KAFKA_BROKERS } from '../support/kafka.ts';
import { uniqueName } from '../support/messages.ts';
import { freshPgSchema, TEST_PG_URL } from '../support/postgres.ts';
import { TEST_REDIS_URL } from '../support/redis.ts';
import { outboxOf } from '../support/storeRows.ts';

const RUN = uniqueName('paths').toLowerCase();
const topics = topicsFor(RUN.replaceAll('_', '-'));
const catalog = sagaCatalog({ prefix: topics.prefix });
const { registry, participants } = catalog;
const meanings = replyMeanings(participants);
const CHECKED_AT_ONCE = 8;

describe.each(registry.all().map((definition) => ({ label: `${definition.machine.id}@${definition.version}`, definition })))(
  'level 3: every generated path of $label through the runtime on PostgreSQL, Kafka, Elasticsearch and Redis',
  ({ label, definition }) => {
    const cleanups: (() => Promise<void>)[] = [];
    afterAll(async () => {
      for (const cleanup of cleanups.reverse()) await cleanup().catch((error: unknown) => console.error(error));
    });

    it('ends every path where the machine does, with the history, outbox and read model it says', { timeout: 300_000 }, async () => {
      const began = performance.now();
      const model = pathModelFor(definition);
      // A stream's id names the variant its path was generated from: the model's input for it is that variant's.
      const plans = generateVariantPaths(definition.machine, model).map(({ variant, path }, index) => planRun(definition, model, path, `${variant}-${RUN}-v${definition.version}-${index}`));
      const { view } = catalog.sagas.find((saga) => saga.id === definition.machine.id)!.parts;
      const byStream = new Map(plans.map((plan) => [plan.streamId, plan]));

      const pg = await freshPgSchema('xsaga_paths');
      cleanups.push(pg.dispose);
      const store = await createSqlSagaStore(pg.sql);
      // Every hosted saga's tables: the participants take the returns' commands too.
      for (const saga of catalog.sagas) await saga.parts.migrate?.(pg.sql);
      const bus = createKafkaMessageBus({ brokers: TEST_KAFKA_BROKERS, partitions: 4, retryDelayMs: 50 });
      cleanups.push(() => bus.close());
      await bus.ensureTopics([...new Set([...allTopics(topics), definition.factsTopic, ...participants.map((spec) => spec.commandTopic)])]);
      const alias = `${RUN}_${view.name}_v${definition.version}`;
      const readModel = await createElasticsearchViewStore({ spec: view, node: TEST_ES_URL, alias });
      cleanups.push(() => deleteTestIndices(alias));
      cleanups.push(() => readModel.close());
      const guard = createRedisIdempotencyGuard({ url: TEST_REDIS_URL, keyPrefix: `${RUN}:` });
      cleanups.push(() => guard.close());

      // Timers, operator actions and replies are delivered by the step driver as soon as the version before them is committed.
      const mismatches: string[] = [];
      const driver = createStepDriver({
        plans: byStream,
        factsTopic: definition.factsTopic,
        inboxTopic: topics.sagaInbox,
        participants,
        sql: pg.sql,
        bus,
        onMismatch: (problem) => void mismatches.push(problem),
      });
      const relay = createOutboxRelay({ store, bus, idleMs: 50 });
      const runtime = createSagaRuntime({
        store,
        registry,
        snapshotEvery: 3,
        // As in production: the committing process publishes its own rows; the relay only sweeps.
        onCommitted: (outbox) => {
          relay.dispatch(outbox);
          driver.committed(outbox);
        },
      });
      const relayLoop = relay.start();
      cleanups.push(() => relayLoop.stop());
      const worker = await bus.subscribe({
        group: `${RUN}-worker`,
        topics: [topics.sagaInbox],
        handler: ({ messages }) => runtime.handle(messages),
        onRevoked: () => runtime.evict(),
      });
      cleanups.push(() => worker.stop());

      const script = { plans: byStream, participants, onMismatch: (problem: string) => void mismatches.push(problem) };
      const deps = { sql: pg.sql, bus, guard, clock: systemClock, replyTopic: topics.sagaInbox };
      const handlers = new Map(participants.map((spec) => [spec.commandTopic, createCommandHandler(scriptedParticipant(spec, script), deps)]));
      const participantGroup = await bus.subscribe({
        group: `${RUN}-participants`,
        topics: [...handlers.keys()],
        handler: async ({ topic, messages }) => {
          // The step driver sends each reply to the inbox once its stream has come to the reply's step.
          driver.replied(await handlers.get(topic)!(messages));
        },
      });
      cleanups.push(() => participantGroup.stop());
      const projector = await startProjector({ bus, projections: [{ topic: definition.factsTopic, store: readModel, spec: view }], group: `${RUN}-projector` });
      cleanups.push(() => projector.stop());
      const ready = performance.now();

      // A script mismatch can arrive during any wait: each one stops at the first.
      const noMismatch = () => expect(mismatches, 'script mismatches').toEqual([]);
      await Promise.all(plans.map((plan) => runtime.start(definition, plan.start)));
      // About 10 s alone; many times that when the machine's two cores are shared with other suites.
      await eventually(
        async () => {
          const done = await pg.sql.query<{ n: number }>(`select count(*)::int as n from xsaga_streams where status = 'done'`);
          expect(done.rows[0]!.n, 'sagas finished').toBe(plans.length);
          expect(await store.pendingOutbox(1), 'outbox published').toEqual([]);
        },
        { timeoutMs: 150_000, intervalMs: 100, failFast: noMismatch },
      );
      await driver.settled();
      noMismatch();
      await eventually(
        async () => {
          await Promise.all(plans.map(async (plan) => expect((await readModel.get(plan.streamId))?.version, plan.streamId).toBe(plan.run.snapshots.length)));
        },
        { timeoutMs: 60_000, intervalMs: 100, failFast: noMismatch },
      );
      noMismatch();
      const ran = performance.now();

      const expectFinished = async (plan: PlannedRun) => {
        await expectStoredRun(plan, { store, sql: pg.sql, definition, exactTimes: false });
        expect((await outboxOf(pg.sql, plan.streamId)).every((row) => row.published), `${plan.streamId}: whole outbox published`).toBe(true);
        const view = await readModel.get(plan.streamId);
        expect(withoutTime(view), `${plan.streamId} (${plan.path.name}): read model`).toEqual(withoutTime(expectedView(definition, plan, plan.run.events.length)));
        // Every final outcome is remembered by the Redis guard, which answers a redelivered command without the database.
        const finals = plan.run.events.filter((e) => stepKind(e, participants) === 'reply' && (e as { data?: { retryable?: boolean } }).data?.retryable !== true);
        for (const event of finals) {
          const { participant, command } = meanings.get(event.type)![0]!;
          const remembered = await guard.recall(`${participant}:${plan.streamId}:${command}`);
          expect(JSON.parse(remembered ?? 'null'), `${plan.streamId}: outcome of ${command} remembered`).toEqual({ type: event.type, data: (event as { data?: unknown }).data });
        }
      };
      // The runs are independent: checked a few at a time, as many as the connection pools serve at once.
      for (let i = 0; i < plans.length; i += CHECKED_AT_ONCE) await Promise.all(plans.slice(i, i + CHECKED_AT_ONCE).map(expectFinished));
      const coverage = coverageOf(definition.machine, plans.map((plan) => plan.run));
      console.log(
        `${formatCoverage(`level 3 (runtime on PostgreSQL, Kafka, Elasticsearch, Redis) ${label}`, coverage, performance.now() - began)}; ` +
          `setup ${(ready - began).toFixed(0)} ms, sagas ${(ran - ready).toFixed(0)} ms, checks ${(performance.now() - ran).toFixed(0)} ms`,
      );
      expect(coverage.states.missing).toEqual([]);
      expect(coverage.transitions.missing).toEqual([]);

      // The store this run filled replays to its snapshots and statuses, and so says `xsaga verify-replay` in production mode.
      const replay = await verifyReplay({ store, registry });
      expect(replay.divergences).toEqual([]);
      expect(replay.streams).toBe(plans.length);
      expect(replay.snapshots).toBeGreaterThan(0);
      const printed: string[] = [];
      const config = loadConfig({
        XSAGA_MODE: 'production',
        XSAGA_PG_URL: TEST_PG_URL,
        XSAGA_PG_SCHEMA: pg.schema,
        XSAGA_KAFKA_BROKERS: TEST_KAFKA_BROKERS.join(','),
        XSAGA_ES_URL: TEST_ES_URL,
        XSAGA_REDIS_URL: TEST_REDIS_URL,
      }, { roles: [] }); // as `xsaga verify-replay` loads it: no role runs, so no API key is needed
      expect(await runVerifyReplayCommand(config, [], { print: (text) => void printed.push(text) })).toBe(0);
      expect(printed).toEqual([`verified ${plans.length} streams (${replay.events} events, ${replay.snapshots} snapshots compared): no divergence`]);
    });
  },
);

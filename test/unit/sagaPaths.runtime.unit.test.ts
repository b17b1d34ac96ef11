import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEmbeddedAdapters } from '../../app/embeddedAdapters.ts';
import { sagaCatalog } from '../../app/sagaCatalog.ts';
import type { SystemAdapters } from '../../app/system.ts';
import { startProjector } from '../../runtime/projector.ts';
import { topicsFor } from '../../orders/topics.ts';
import type { Message } from '../../runtime/message.ts';
import type { Subscription } from '../../runtime/messageBus.ts';
import { createSagaRuntime, type SagaRuntime } from '../../runtime/sagaRuntime.ts';
import type { SagaViewBase, SagaViewStore } from '../../runtime/viewStore.ts';
import { coverageOf, formatCoverage } from '../graph/coverage.ts';
import { pathModelFor } from '../graph/pathModels.ts';
import { generateVariantPaths } from '../graph/variantPaths.ts';
import { commandsOf, expectedView, expectStoredRun, planRun, stepKind, stepMessage, type PlannedRun } from '../graph/runtimeRun.ts';
import { eventually } from '../support/eventually.ts';
import { outboxOf, timersOf } from '../support/storeRows.ts';

const topics = topicsFor('paths');
const { registry, participants, sagas } = sagaCatalog({ prefix: topics.prefix });

describe.each(registry.all().map((definition) => ({ label: `${definition.machine.id}@${definition.version}`, definition })))(
  'level 2: every generated path of $label through the runtime on the embedded adapters, participants scripted',
  ({ label, definition }) => {
    const model = pathModelFor(definition);
    const paths = generateVariantPaths(definition.machine, model);
    const { view } = sagas.find((saga) => saga.id === definition.machine.id)!.parts;
    const passed: PlannedRun[] = [];
    let adapters: SystemAdapters;
    let readModel: SagaViewStore<SagaViewBase>;
    let runtime: SagaRuntime;
    let projector: Subscription;
    let began = 0;

    beforeAll(async () => {
      adapters = await createEmbeddedAdapters({ dataDir: ':memory:', partitions: 4 });
      // A small snapshot interval, so that hydrating from the store goes through snapshots on most paths.
      runtime = createSagaRuntime({ store: adapters.store, registry, snapshotEvery: 3 });
      // The saga's own view store, as the system opens one per hosted saga.
      readModel = await adapters.openViewStore(view);
      projector = await startProjector({ bus: adapters.bus, projections: [{ topic: definition.factsTopic, store: readModel, spec: view }] });
      began = performance.now();
    });
    afterAll(async () => {
      const elapsed = performance.now() - began;
      console.log(formatCoverage(`level 2 (runtime, embedded adapters) ${label}`, coverageOf(definition.machine, passed.map((p) => p.run)), elapsed));
      await projector?.stop();
      await adapters?.close();
    });

    it.each(paths.map(({ variant, path }, index) => ({ index, variant, path })))('path $index: $path.name', async ({ index, variant, path }) => {
      const { store, sql, bus } = adapters;
      // The stream id names the variant: the model's input for it is the one the path was generated from.
      const plan = planRun(definition, model, path, `${variant}-paths-l2-${index}`);
      const id = plan.streamId;
      await runtime.start(definition, plan.start);
      const delivered: Message[] = [];
      for (let step = 0; step < path.events.length; step++) {
        // A reply answers the latest command, a timer is fired from its row, an operator's action stands alone.
        const kind = stepKind(path.events[step]!, participants);
        const message = stepMessage(plan, step, {
          commands: kind === 'reply' ? await commandsOf(sql, definition, id) : [],
          timers: kind === 'timer' ? await timersOf(sql, id) : [],
          inboxTopic: topics.sagaInbox,
          participants,
        });
        delivered.push(message);
        await runtime.handle([message]);
        const live = await runtime.hydrate(id);
        expect({ version: live?.version, value: live?.snapshot.value }, `after step ${step + 1}`).toEqual({ version: step + 2, value: plan.run.snapshots[step + 1]!.value });
      }
      // Nothing is cached that the store does not hold: a fresh hydrate lands on the same snapshot.
      runtime.evict([id]);
      expect((await runtime.hydrate(id))?.snapshot.context).toEqual(plan.run.snapshots.at(-1)!.context);
      await expectStoredRun(plan, { store, sql, definition, exactTimes: true });

      // Every reply, timer and operator action delivered again: dropped by message id, nothing new is written.
      const rowsBefore = (await outboxOf(sql, id)).length;
      await runtime.handle(delivered);
      expect((await store.load(id))?.head.version).toBe(path.events.length + 1);
      expect(await outboxOf(sql, id)).toHaveLength(rowsBefore);

      // The read model, projected from the facts in the outbox.
      const facts = (await outboxOf(sql, id)).filter((row) => row.topic === definition.factsTopic);
      await bus.publish(facts.map((row) => ({ topic: row.topic, key: id, message: row.message })));
      await eventually(async () => expect(await readModel.get(id)).toEqual(expectedView(definition, plan, path.events.length)), { timeoutMs: 5_000, intervalMs: 2 });
      passed.push(plan);
    });

    it('ran every state and every transition of the machine through the runtime', () => {
      const coverage = coverageOf(definition.machine, passed.map((p) => p.run));
      expect(coverage.paths, 'paths that passed').toBe(paths.length);
      expect(coverage.states.missing).toEqual([]);
      expect(coverage.transitions.missing).toEqual([]);
    });
  },
);

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createEmbeddedAdapters } from '../../app/embeddedAdapters.ts';
import type { SystemAdapters } from '../../app/system.ts';
import { topicsFor } from '../../orders/topics.ts';
import { returnParticipantCommands } from '../../returns/returnParticipants.ts';
import { returnSagaDefinition } from '../../returns/returnSagaDefinition.ts';
import { returnSagaPathModel } from '../../returns/returnSagaPathModel.ts';
import type { Message } from '../../runtime/message.ts';
import { MachineRegistry } from '../../runtime/sagaDefinition.ts';
import { createSagaRuntime, type SagaRuntime } from '../../runtime/sagaRuntime.ts';
import { coverageOf, formatCoverage } from '../graph/coverage.ts';
import { commandsOf, expectStoredRun, planRun, stepKind, stepMessage, type PlannedRun } from '../graph/runtimeRun.ts';
import { generateVariantPaths } from '../graph/variantPaths.ts';
import { outboxOf, timersOf } from '../support/storeRows.ts';

const topics = topicsFor('return-paths');
const definition = returnSagaDefinition({ ...topics, returnEvents: 'return-paths.return-events' });
const participants = returnParticipantCommands.map((commands) => ({ name: commands.participant, handles: commands.handles }));
const model = returnSagaPathModel;

/**
 * Level 2 of the returns saga: every generated path through the runtime on the embedded adapters,
 * its participants scripted. What the order saga's level 2 does besides (projecting the views into
 * the read model and reading them back) waits for a read model that hosts more than orders.
 */
describe('level 2: every generated path of returnSaga@1 through the runtime on the embedded adapters, participants scripted', () => {
  const paths = generateVariantPaths(definition.machine, model);
  const passed: PlannedRun[] = [];
  let adapters: SystemAdapters;
  let runtime: SagaRuntime;
  let began = 0;

  beforeAll(async () => {
    adapters = await createEmbeddedAdapters({ dataDir: ':memory:', partitions: 4 });
    // A small snapshot interval, so that hydrating from the store goes through snapshots on most paths.
    runtime = createSagaRuntime({ store: adapters.store, registry: new MachineRegistry().register(definition), snapshotEvery: 3 });
    began = performance.now();
  });
  afterAll(async () => {
    console.log(formatCoverage('level 2 (runtime, embedded adapters) returnSaga@1', coverageOf(definition.machine, passed.map((p) => p.run)), performance.now() - began));
    await adapters?.close();
  });

  it.each(paths.map(({ variant, path }, index) => ({ index, variant, path })))('path $index: $path.name', async ({ index, variant, path }) => {
    const { store, sql } = adapters;
    // The stream id names the variant: the model's input for it is the one the path was generated from.
    const plan = planRun(definition, model, path, `${variant}-paths-l2-${index}`);
    const id = plan.streamId;
    await runtime.start(definition, plan.start);
    const delivered: Message[] = [];
    for (let step = 0; step < path.events.length; step++) {
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
    passed.push(plan);
  });

  it('ran every state and every transition of the machine through the runtime', () => {
    const coverage = coverageOf(definition.machine, passed.map((p) => p.run));
    expect(coverage.paths, 'paths that passed').toBe(paths.length);
    expect(coverage.states.missing).toEqual([]);
    expect(coverage.transitions.missing).toEqual([]);
  });
});

import { describe, expect, it } from 'vitest';
import type { AnyEventObject } from 'xstate';
import { sagaCatalog } from '../../app/sagaCatalog.ts';
import { RETURN_TIMERS } from '../../returns/returnTimers.ts';
import { createMessage, replyTo, type Envelope, type Message } from '../../runtime/message.ts';
import type { OutboxRecord } from '../../runtime/sagaStore.ts';
import { generatePaths } from '../graph/generatePaths.ts';
import { runOnMachine } from '../graph/machineRun.ts';
import { pathModelFor } from '../graph/pathModels.ts';
import { answeringStep, commandIdAt, commandPositionOf, repliedCommands, type CommandPosition } from '../graph/pathReplies.ts';
import { planRun, type PlannedRun } from '../graph/runtimeRun.ts';
import { createStepDriver } from '../graph/stepDriver.ts';

const { registry, participants } = sagaCatalog({ prefix: 'path-replies' });
const returns = registry.latest('returnSaga')!;
const returnModel = pathModelFor(returns);

const issued = { type: 'ReturnLabelIssued', data: { labelId: 'lbl-1' } };
const parcel = { type: 'ParcelReceived', data: {} };
const refunded = { type: 'ReturnRefunded', data: { amount: 4_000 } };
const restocked = { type: 'ReturnRestocked', data: {} };
const returnRun = (events: readonly AnyEventObject[]) => runOnMachine(returns.machine, returnModel.input('small-1'), events);
const at = (version: number, index: number): CommandPosition => ({ version, index });

describe('which command each reply step of a path answers', () => {
  it('answers the commands of one commit in the order the path lists their replies', () => {
    const run = returnRun([issued, parcel, restocked, refunded]);
    expect(run.emitted[2]!.map((command) => command.type), 'the commit after the parcel').toEqual(['RefundReturn', 'RestockReturn']);
    expect([...repliedCommands(run, participants)]).toEqual([
      [0, at(1, 0)],
      [2, at(3, 1)],
      [3, at(3, 0)],
    ]);
    expect(answeringStep(run, participants, at(3, 0))).toBe(3);
  });

  it('lets a retry of one region, and its reply, come between the other region’s command and its reply', () => {
    const run = returnRun([issued, parcel, { type: 'ReturnRefundFailed', data: { reason: 'PROVIDER_UNAVAILABLE', retryable: true } }, { type: RETURN_TIMERS.refundBackoff }, refunded, restocked]);
    expect(run.emitted[4]!.map((command) => command.type), 'the retry').toEqual(['RefundReturn']);
    expect(repliedCommands(run, participants).get(4), 'the retry’s answer').toEqual(at(5, 0));
    expect(repliedCommands(run, participants).get(5), 'the restock sent before it').toEqual(at(3, 1));
    expect(answeringStep(run, participants, at(3, 0)), 'the first refund, answered by the failure').toBe(2);
  });

  it('leaves a command that a deadline overtook unanswered', () => {
    const run = returnRun([issued, parcel, { type: RETURN_TIMERS.refund }, restocked]);
    expect(answeringStep(run, participants, at(3, 0))).toBeUndefined();
    expect(answeringStep(run, participants, at(3, 1))).toBe(3);
  });

  it('in a sequential saga, answers with each reply the command of the version just before it', () => {
    const orders = registry.latest('orderSaga')!;
    const model = pathModelFor(orders);
    let replies = 0;
    for (const path of generatePaths(orders.machine, model)) {
      const run = runOnMachine(orders.machine, model.input('generated'), path.events);
      for (const [step, command] of repliedCommands(run, participants)) {
        expect(command.version, `${path.name}: step ${step + 1}`).toBe(step + 1);
        replies++;
      }
    }
    expect(replies).toBeGreaterThan(100);
  });

  it('reads a command’s place from its id, and nothing from another id', () => {
    expect(commandPositionOf('ret-1', commandIdAt('ret-1', at(3, 1)))).toEqual(at(3, 1));
    expect(commandPositionOf('ret-1', 'ret-1/start')).toBeUndefined();
    expect(commandPositionOf('ret-1', 'ret-2/3/1')).toBeUndefined();
  });
});

/** A driver of one planned run that publishes to a list; these paths arm no timer, so it reads no row. */
function driverOf(plan: PlannedRun) {
  const published: Envelope[] = [];
  const mismatches: string[] = [];
  const driver = createStepDriver({
    plans: new Map([[plan.streamId, plan]]),
    factsTopic: returns.factsTopic,
    inboxTopic: 'inbox',
    participants,
    sql: { query: () => Promise.reject(new Error('no timer on this path')) },
    bus: { publish: async (envelopes) => void published.push(...envelopes) },
    onMismatch: (problem) => void mismatches.push(problem),
  });
  return { driver, published, mismatches };
}

describe('the step driver', () => {
  it('sends each reply once its stream has reached its step, in the path’s order, whenever the participant answered', async () => {
    const plan = planRun(returns, returnModel, { name: 'refund, then restock', events: [issued, parcel, refunded, restocked], snapshots: [] }, 'small-driver');
    const { driver, published, mismatches } = driverOf(plan);
    const committed = (version: number) => {
      const fact = createMessage('SagaViewUpdated', { streamId: plan.streamId, version }, { messageId: `fact-${version}`, correlationId: plan.streamId, occurredAt: plan.times[0]! });
      driver.committed([{ id: `${version}`, envelope: { topic: returns.factsTopic, key: plan.streamId, message: fact } } satisfies OutboxRecord]);
    };
    const sentAt = (position: CommandPosition): Message => {
      const command = plan.run.emitted[position.version - 1]![position.index]!;
      return createMessage(command.type, (command as { data?: unknown }).data ?? {}, { messageId: commandIdAt(plan.streamId, position), correlationId: plan.streamId, occurredAt: plan.times[0]! });
    };
    const types = async () => {
      await driver.settled();
      return published.map((envelope) => envelope.message.type);
    };

    committed(1);
    driver.replied([replyTo(sentAt(at(1, 0)), issued.type, issued.data, plan.times[1]!)]);
    committed(2);
    expect(await types(), 'the label, then the parcel (an outside event)').toEqual(['ReturnLabelIssued', 'ParcelReceived']);
    committed(3);
    // The restock's participant answers first: its reply waits for the refund's step.
    driver.replied([replyTo(sentAt(at(3, 1)), restocked.type, restocked.data, plan.times[3]!)]);
    expect(await types(), 'the restock held').toEqual(['ReturnLabelIssued', 'ParcelReceived']);
    driver.replied([replyTo(sentAt(at(3, 0)), refunded.type, refunded.data, plan.times[3]!)]);
    expect(await types()).toEqual(['ReturnLabelIssued', 'ParcelReceived', 'ReturnRefunded']);
    committed(4);
    expect(await types(), 'the restock, once the refund is in').toEqual(['ReturnLabelIssued', 'ParcelReceived', 'ReturnRefunded', 'ReturnRestocked']);
    expect(published.every((envelope) => envelope.topic === 'inbox' && envelope.key === plan.streamId)).toBe(true);
    expect(mismatches).toEqual([]);
  });

  it('calls a reply the path has no step for a mismatch', () => {
    const plan = planRun(returns, returnModel, { name: 'deadline', events: [issued, parcel, { type: RETURN_TIMERS.refund }, restocked], snapshots: [] }, 'small-late');
    const { driver, mismatches } = driverOf(plan);
    const refund = createMessage('RefundReturn', {}, { messageId: commandIdAt(plan.streamId, at(3, 0)), correlationId: plan.streamId, occurredAt: plan.times[0]! });
    driver.replied([replyTo(refund, refunded.type, refunded.data, plan.times[3]!)]);
    expect(mismatches).toEqual([`${plan.streamId}: no step of the path is the reply ReturnRefunded to ${plan.streamId}/3/0`]);
  });
});

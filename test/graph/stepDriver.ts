import type { Message } from '../../runtime/message.ts';
import type { MessageBus } from '../../runtime/messageBus.ts';
import type { ParticipantContract } from '../../runtime/safety/participantContract.ts';
import type { OutboxRecord } from '../../runtime/sagaStore.ts';
import type { SqlQueryable } from '../../runtime/sqlClient.ts';
import { timersOf } from '../support/storeRows.ts';
import { answeringStep, commandPositionOf, repliedCommands } from './pathReplies.ts';
import { stepKind, stepMessage, type PlannedRun } from './runtimeRun.ts';

export type StepDriver = Readonly<{
  /** The runtime's `onCommitted`: the outbox of a commit holds one view fact per stream it moved, with the version committed. */
  committed(outbox: readonly OutboxRecord[]): void;
  /** What the scripted participants answered: each reply goes to the inbox once its stream has reached the step the path gives it. */
  replied(replies: readonly Message[]): void;
  /** Resolves once every step delivered so far is on the bus. */
  settled(): Promise<void>;
}>;

/**
 * Delivers the steps of planned runs in the order of their paths. The steps no participant answers
 * go as the scheduler and an operator would send them: once a stream's committed version reaches
 * such a step, a timer (a deadline, a backoff) is fired from its row, an operator's action is
 * published to the inbox. After a failure the saga backs off and sends nothing, so only this moves
 * it on. A participant's reply waits for its step too: the regions of a parallel state are sent
 * their commands in one commit, and the path says in which order their replies arrive. A reply
 * step that answers no command, a reply the path has no step for, or a delivery that fails, is a
 * mismatch.
 */
export function createStepDriver(deps: {
  plans: ReadonlyMap<string, PlannedRun>;
  factsTopic: string;
  inboxTopic: string;
  participants: readonly ParticipantContract[];
  sql: SqlQueryable;
  bus: Pick<MessageBus, 'publish'>;
  onMismatch(problem: string): void;
}): StepDriver {
  const delivered = new Set<string>();
  const pending: Promise<void>[] = [];
  /** The highest version committed of each stream. */
  const reached = new Map<string, number>();
  /** Replies whose step has not come yet, by stream and the version that step follows. */
  const held = new Map<string, Message[]>();

  const publish = (plan: PlannedRun, step: number, message: Promise<Message> | Message) => {
    const sent = Promise.resolve(message).then((m) => deps.bus.publish([{ topic: deps.inboxTopic, key: plan.streamId, message: m }]));
    pending.push(sent.catch((error: unknown) => deps.onMismatch(`${plan.streamId}: step ${step + 1}: ${String(error)}`)));
  };
  const deliver = async (plan: PlannedRun, step: number, timers: boolean) => {
    const sent = { commands: [], timers: timers ? await timersOf(deps.sql, plan.streamId) : [], inboxTopic: deps.inboxTopic, participants: deps.participants };
    return stepMessage(plan, step, sent);
  };
  const release = (streamId: string, version: number) => {
    const key = `${streamId}/${version}`;
    const replies = held.get(key);
    if (!replies) return;
    held.delete(key);
    for (const reply of replies) publish(deps.plans.get(streamId)!, version - 1, reply);
  };

  return {
    committed(outbox) {
      for (const { envelope } of outbox) {
        if (envelope.topic !== deps.factsTopic) continue;
        const { streamId, version } = envelope.message.data as { streamId: string; version: number };
        const plan = deps.plans.get(streamId);
        if (!plan) continue;
        const before = reached.get(streamId) ?? 0;
        reached.set(streamId, Math.max(before, version));
        for (let v = before + 1; v <= version; v++) release(streamId, v);
        // Version v is the start and v − 1 steps: step v − 1 (0-based) comes next, if the path goes on.
        const step = version - 1;
        const event = plan.run.events[step];
        if (!event) continue;
        const kind = stepKind(event, deps.participants);
        if (kind === 'reply') {
          if (!repliedCommands(plan.run, deps.participants).has(step)) {
            deps.onMismatch(`${streamId} (${plan.path.name}): step ${step + 1} replies ${event.type}, but no command sent by version ${version} awaits it`);
          }
          continue;
        }
        const key = `${streamId}/${step}`;
        if (delivered.has(key)) continue;
        delivered.add(key);
        publish(plan, step, deliver(plan, step, kind === 'timer'));
      }
    },
    replied(replies) {
      for (const reply of replies) {
        const streamId = reply.metadata.correlationId;
        const plan = deps.plans.get(streamId);
        const position = plan && commandPositionOf(streamId, reply.metadata.causationId);
        const step = position && answeringStep(plan.run, deps.participants, position);
        if (!plan || step === undefined) {
          deps.onMismatch(`${streamId}: no step of the path is the reply ${reply.type} to ${reply.metadata.causationId}`);
          continue;
        }
        // Step s follows version s + 1: once that is committed, the reply goes at once (a redelivered one is dropped by its id).
        if ((reached.get(streamId) ?? 0) >= step + 1) publish(plan, step, reply);
        else held.set(`${streamId}/${step + 1}`, [...(held.get(`${streamId}/${step + 1}`) ?? []), reply]);
      }
    },
    async settled() {
      await Promise.all(pending);
    },
  };
}

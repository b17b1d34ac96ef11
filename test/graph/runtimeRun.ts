import { randomUUID } from 'node:crypto';
import { expect } from 'vitest';
import type { EventObject } from 'xstate';
import { TIMER_FIRED, timerFiredEnvelope, toMachineEvent } from '../../runtime/machineEvent.ts';
import { createMessage, replyTo, type Message } from '../../runtime/message.ts';
import { replyMeanings, type ParticipantContract } from '../../runtime/safety/participantContract.ts';
import type { SagaDefinition } from '../../runtime/sagaDefinition.ts';
import { replayStream } from '../../runtime/sagaRuntime.ts';
import type { DurableTimer, SagaStore } from '../../runtime/sagaStore.ts';
import type { SqlQueryable } from '../../runtime/sqlClient.ts';
import { outboxOf, timersOf } from '../support/storeRows.ts';
import type { SagaPath } from './generatePaths.ts';
import { finalOf, runOnMachine, type MachineRun } from './machineRun.ts';
import { commandIdAt, repliedCommands } from './pathReplies.ts';
import type { SagaPathModel } from './sagaPathModel.ts';

/** A generated path bound to a stream of the runtime: its start message, and what the pure machine says it must come to. */
export type PlannedRun = Readonly<{
  streamId: string;
  path: SagaPath;
  start: Message;
  /** The path folded through the pure machine with this stream's input: the expectation at every level. */
  run: MachineRun;
  /** When the message of each step happens: replies and operator actions one second apart, a timer when it is due. */
  times: readonly string[];
}>;

const START = Date.parse('2030-01-01T00:00:00.000Z');
export const isTimerEvent = (event: EventObject): boolean => event.type.startsWith('xstate.after.');

export function planRun(definition: SagaDefinition, model: SagaPathModel, path: SagaPath, streamId: string): PlannedRun {
  const input = model.input(streamId);
  const startedAt = new Date(START).toISOString();
  const start = createMessage(definition.startEvent, input, { messageId: `${streamId}/start`, correlationId: streamId, occurredAt: startedAt });
  expect(definition.input(start), 'the start message carries the model input').toEqual(input);
  const run = runOnMachine(definition.machine, input, path.events);
  const armedAt = new Map<string, number>();
  const times = [startedAt];
  run.events.forEach((event, i) => {
    run.armed[i]!.forEach((timer) => armedAt.set(timer.id, Date.parse(times[i]!) + timer.delay));
    times.push(new Date(isTimerEvent(event) ? armedAt.get(event.type)! : START + (i + 1) * 1000).toISOString());
  });
  return { streamId, path, start, run, times };
}

/** The commands of a stream's outbox, in order, without the read-model facts. */
export async function commandsOf(sql: SqlQueryable, definition: SagaDefinition, streamId: string): Promise<Message[]> {
  return (await outboxOf(sql, streamId)).filter((row) => row.topic !== definition.factsTopic).map((row) => row.message);
}

/** What delivers a step to the saga: a participant's reply to a command, a fired timer, or else an operator's action. */
export type StepKind = 'reply' | 'timer' | 'operator';

export function stepKind(event: EventObject, participants: readonly ParticipantContract[]): StepKind {
  if (isTimerEvent(event)) return 'timer';
  return replyMeanings(participants).has(event.type) ? 'reply' : 'operator';
}

/**
 * The inbox message of step `step`: a participant's reply to the command it answers (see
 * `repliedCommands`; its id derived from the command's, as a participant derives it), the fired timer the step names, or an
 * operator's action (a fresh message of its own, as the operator endpoint sends it).
 */
export function stepMessage(
  plan: PlannedRun,
  step: number,
  sent: Readonly<{ commands: readonly Message[]; timers: readonly DurableTimer[]; inboxTopic: string; participants: readonly ParticipantContract[] }>,
): Message {
  const event = plan.run.events[step]!;
  const data = (event as { data?: unknown }).data ?? {};
  const kind = stepKind(event, sent.participants);
  if (kind === 'timer') {
    const timer = sent.timers.find((t) => (t.event as EventObject).type === event.type);
    if (!timer) throw new Error(`${plan.streamId}: step ${step + 1} fires ${event.type}, but no such timer is armed`);
    return timerFiredEnvelope(sent.inboxTopic, plan.streamId, timer).message;
  }
  if (kind === 'operator') {
    return createMessage(event.type, data, { messageId: `operator/${randomUUID()}`, correlationId: plan.streamId, occurredAt: plan.times[step + 1]! });
  }
  const position = repliedCommands(plan.run, sent.participants).get(step);
  const command = position && sent.commands.find((c) => c.metadata.messageId === commandIdAt(plan.streamId, position));
  if (!command) throw new Error(`${plan.streamId}: step ${step + 1} replies ${event.type}, but no command it answers was sent`);
  return replyTo(command, event.type, data, plan.times[step + 1]!);
}

/** The view the saga must have been published with after step `step` (0: the start). */
export function expectedView(definition: SagaDefinition, plan: PlannedRun, step: number): unknown {
  return definition.view({ streamId: plan.streamId, version: step + 1, snapshot: plan.run.snapshots[step]!, updatedAt: plan.times[step]! });
}

/** Drops the times only a run with a scripted clock can predict: `updatedAt`, and since when a saga has waited for an operator. */
export function withoutTime(view: unknown): unknown {
  const { attention, ...rest } = view as { attention?: Record<string, unknown> | null };
  return { ...rest, updatedAt: undefined, attention: attention ? { ...attention, since: undefined } : attention };
}

/**
 * What a finished run must have left in the store: the history (the start, then each step's reply
 * or fired timer), a final status, the commands of every step in order on their topics, one view
 * fact per version, no timer left, and a snapshot-plus-events replay that lands where the machine did.
 */
export async function expectStoredRun(
  plan: PlannedRun,
  deps: Readonly<{ store: SagaStore; sql: SqlQueryable; definition: SagaDefinition; exactTimes: boolean }>,
): Promise<void> {
  const { store, sql, definition } = deps;
  const at = (what: string) => `${plan.streamId} (${plan.path.name}): ${what}`;
  const history = await store.readStream(plan.streamId);
  expect(history.map((e) => e.message.type), at('event types')).toEqual([definition.startEvent, ...plan.run.events.map((e) => (isTimerEvent(e) ? TIMER_FIRED : e.type))]);
  expect(history.slice(1).map((e) => toMachineEvent(e.message)), at('events as the machine got them')).toEqual(
    plan.run.events.map((e) => (isTimerEvent(e) ? e : { type: e.type, data: (e as { data?: unknown }).data ?? {} })),
  );

  const loaded = await store.load(plan.streamId);
  expect(loaded?.head, at('stream head')).toMatchObject({ version: plan.run.snapshots.length, status: 'done', machineId: definition.machine.id, machineVersion: definition.version });
  const replayed = replayStream(definition, loaded!);
  expect({ value: replayed.snapshot.value, context: replayed.snapshot.context }, at('replayed from snapshot and events')).toEqual({
    value: finalOf(plan.run).value,
    context: finalOf(plan.run).context,
  });

  const rows = await outboxOf(sql, plan.streamId);
  const commands = rows.filter((row) => row.topic !== definition.factsTopic);
  expect(commands.map((row) => ({ topic: row.topic, type: row.message.type, data: row.message.data })), at('commands in the outbox')).toEqual(
    plan.run.emitted.flat().map((command) => ({ topic: definition.topicOf(command), type: command.type, data: (command as { data?: unknown }).data ?? {} })),
  );
  const facts = rows.filter((row) => row.topic === definition.factsTopic).map((row) => row.message.data as { version: number; view: unknown });
  expect(facts.map((fact) => fact.version), at('one view fact per version')).toEqual(plan.run.snapshots.map((_, i) => i + 1));
  const views = plan.run.snapshots.map((_, i) => expectedView(definition, plan, i));
  expect(facts.map((fact) => (deps.exactTimes ? fact.view : withoutTime(fact.view))), at('views published')).toEqual(deps.exactTimes ? views : views.map(withoutTime));
  expect(await timersOf(sql, plan.streamId), at('timers left')).toEqual([]);
}

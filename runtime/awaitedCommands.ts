import { commandsEmitted, type ActionLike } from './effects.ts';
import type { Message } from './message.ts';
import type { EventRules } from './sagaDefinition.ts';

/** The commands a saga emitted that no stored event has answered yet: command id → command type. */
export type AwaitedCommands = ReadonlyMap<string, string>;

export const noAwaitedCommands: AwaitedCommands = new Map();

/**
 * The awaited commands after one stored event: the command a reply answers (its causation id) is
 * no longer awaited, the commands its transition emitted are. A pure function of the stream's
 * events, so replay recomputes it and a snapshot caches it. A reply the state did not accept is
 * not stored, so it answers nothing.
 */
export function awaitedAfter(
  awaited: AwaitedCommands,
  event: Message,
  rules: EventRules,
  step: Readonly<{ actions: readonly ActionLike[]; streamId: string; version: number }>,
): AwaitedCommands {
  const answered = rules[event.type]?.answers !== undefined && awaited.has(event.metadata.causationId) ? event.metadata.causationId : undefined;
  const emitted = commandsEmitted(step.actions, step.streamId, step.version);
  if (answered === undefined && emitted.length === 0) return awaited;
  const next = new Map(awaited);
  if (answered !== undefined) next.delete(answered);
  for (const [id, type] of emitted) next.set(id, type);
  return next;
}

import type { AnyMachineSnapshot } from 'xstate';
import { toMachineEvent } from './machineEvent.ts';
import type { Message } from './message.ts';
import { startMessageSpan, type MessageSpan } from './messageSpan.ts';
import type { SagaDefinition } from './sagaDefinition.ts';
import { stateName } from './stateName.ts';

/** The instrumentation scope of the saga runtime's spans. */
export const RUNTIME_TRACER = 'xsaga.runtime';

/**
 * Opens the span of one saga transition, a child of the span that sent `message` (the API's, a
 * participant's, or the transition that armed a fired timer); the commands, timers and view fact
 * of the transition carry its trace context. It stays open until the transition is committed or
 * given up (`endSpans`).
 */
export function startTransitionSpan(
  definition: SagaDefinition,
  transition: Readonly<{ streamId: string; message: Message; before: AnyMachineSnapshot | undefined; after: AnyMachineSnapshot; version: number }>,
): MessageSpan {
  const { message, before, after, version } = transition;
  return startMessageSpan(RUNTIME_TRACER, `${definition.machine.id} transition`, message, {
    'xsaga.saga.id': transition.streamId,
    'xsaga.machine.id': definition.machine.id,
    'xsaga.machine.version': definition.version,
    'xsaga.event.type': toMachineEvent(message).type,
    'xsaga.message.type': message.type,
    'xsaga.state.before': before ? stateName(before.value) : undefined,
    'xsaga.state.after': stateName(after.value),
    'xsaga.stream.version': version,
  });
}

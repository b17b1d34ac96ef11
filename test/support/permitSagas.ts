import { createMessage, type Message } from '../../runtime/message.ts';
import type { System } from '../../app/system.ts';
import type { Clock } from '../../runtime/clock.ts';

/** Where a permit saga is left waiting: what each permit's stream holds. */
export type PermitWaiting = 'checking' | 'waitingApproval' | 'onHold' | 'granted';

const at = (clock: Clock) => new Date(clock.now()).toISOString();

/** A message into a permit saga; a reply to the check names the command the saga emitted on its first event. */
export function permitMessage(clock: Clock, permitId: string, type: string, n: number): Message {
  const causationId = type === 'PermitChecked' ? `${permitId}/1/0` : undefined;
  return createMessage(type, { by: 'test' }, { messageId: `${permitId}/${type}/${n}`, correlationId: permitId, occurredAt: at(clock), causationId });
}

/** Starts one permit on the newest registered version and moves it to `waiting`. */
export async function permitWaitingIn(system: System, clock: Clock, permitId: string, waiting: PermitWaiting): Promise<void> {
  const definition = system.registry.latest('permitSaga')!;
  await system.runtime.start(definition, createMessage('PermitOpened', {}, { messageId: `${permitId}/opened`, correlationId: permitId, occurredAt: at(clock) }));
  const steps: Record<PermitWaiting, string[]> = { checking: [], waitingApproval: ['PermitChecked'], onHold: ['PermitChecked', 'PermitHeld'], granted: ['PermitChecked', 'PermitApproved'] };
  for (const [n, type] of steps[waiting].entries()) await system.runtime.handle([permitMessage(clock, permitId, type, n)]);
}

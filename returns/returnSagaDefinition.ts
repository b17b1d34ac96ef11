import { RETURN_REQUESTED, returnSagaEvents } from './returnEvents.ts';
import { RETURN_SAGA_VERSION, returnSaga, type ReturnSagaMachine } from './returnSaga.ts';
import type { ReturnSagaCommand, ReturnSagaInput } from './returnTypes.ts';
import { returnView, type ReturnView } from './returnView.ts';
import type { Message, SagaDefinition } from 'xsaga';

/** The first event of a return's stream; it carries everything the saga will ever need to know. */
export type ReturnRequested = Message<typeof RETURN_REQUESTED, ReturnSagaInput>;

/** Where the returns saga's messages go: its participants' command topics (shared with the order saga's) and its own facts. */
export type ReturnTopics = Readonly<{ paymentCommands: string; inventoryCommands: string; shippingCommands: string; returnEvents: string }>;

/** The participant that performs each command of the saga. */
export const RETURN_COMMAND_PARTICIPANT = {
  IssueReturnLabel: 'shipping',
  VoidReturnLabel: 'shipping',
  RefundReturn: 'payment',
  ReverseReturnRefund: 'payment',
  RestockReturn: 'inventory',
  ReverseReturnRestock: 'inventory',
} as const satisfies Record<ReturnSagaCommand['type'], 'payment' | 'inventory' | 'shipping'>;

/** Hosts the returns saga: commands go to the topic of the participant that performs them, views to `returnEvents`. */
export function returnSagaDefinition(topics: ReturnTopics): SagaDefinition<ReturnSagaMachine, ReturnView> {
  const topicOf = { payment: topics.paymentCommands, inventory: topics.inventoryCommands, shipping: topics.shippingCommands };
  return {
    machine: returnSaga,
    version: RETURN_SAGA_VERSION,
    startEvent: RETURN_REQUESTED,
    input: (start) => start.data as ReturnSagaInput,
    events: returnSagaEvents,
    topicOf(command) {
      const participant = Object.hasOwn(RETURN_COMMAND_PARTICIPANT, command.type) ? RETURN_COMMAND_PARTICIPANT[command.type as ReturnSagaCommand['type']] : undefined;
      if (!participant) throw new Error(`returns saga emitted an unknown command ${command.type}`);
      return topicOf[participant];
    },
    view: ({ snapshot, version, updatedAt }) => returnView({ context: snapshot.context, value: snapshot.value, version, updatedAt }),
    factsTopic: topics.returnEvents,
    operatorActions: { resume: 'ResumeRequested' },
    // A rejection or an expiry is the business saying no, not the system failing: it ends the saga unfailed, with its reason.
    outcome: ({ value, context }) => {
      if (value === 'failed') return { failed: true, reason: context.failureReason ?? 'UNKNOWN' };
      if (value === 'rejected') return { failed: false, reason: context.rejectionReason ?? 'REJECTED' };
      if (value === 'expired') return { failed: false, reason: 'EXPIRED' };
      return { failed: false, reason: '' };
    },
  };
}

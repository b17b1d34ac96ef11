import type { Topics } from '../../orders/topics.ts';
import type { Envelope, Message } from '../../runtime/message.ts';
import type { OrderChange } from './baselineStore.ts';
import { isTerminal, viewOf, type OrderRecord, type Step } from './orderFlow.ts';

/** The fact that carries an order's view to the projector and the benchmark's observer, in xsaga's envelope. */
const viewFact = (topics: Topics, record: OrderRecord, cause: Message): Envelope => ({
  topic: topics.orderEvents,
  key: record.order.orderId,
  message: {
    type: 'SagaViewUpdated',
    data: { streamId: record.order.orderId, machineId: 'orderSaga', version: record.version, view: viewOf(record, cause.metadata.occurredAt) },
    metadata: { messageId: `${record.order.orderId}/${record.version}/view`, correlationId: record.order.orderId, causationId: cause.metadata.messageId, occurredAt: cause.metadata.occurredAt },
  },
});

/** Which participant's topic each command goes to. */
const COMMAND_TOPIC: Readonly<Record<string, 'paymentCommands' | 'inventoryCommands' | 'shippingCommands'>> = {
  CapturePayment: 'paymentCommands',
  RefundPayment: 'paymentCommands',
  ReserveStock: 'inventoryCommands',
  ReleaseStock: 'inventoryCommands',
  CreateShipment: 'shippingCommands',
};

/** The rows of one order's step, from its record before (none when placed) and the messages that moved it. */
export function changeOf(topics: Topics, before: OrderRecord | undefined, after: OrderRecord, events: readonly Message[], applied: readonly string[], steps: readonly { cause: Message; step: Step }[]): OrderChange {
  const outbox: Envelope[] = [];
  // A timer armed then cancelled within the batch is never written; one cancelled then armed again is.
  const armed = new Map<string, OrderChange['armed'][number]>();
  const cancelled = new Set<string>();
  for (const { cause, step } of steps) {
    step.commands.forEach((command, i) => {
      outbox.push({
        topic: topics[COMMAND_TOPIC[command.type]!],
        key: after.order.orderId,
        message: { type: command.type, data: command.data, metadata: { messageId: `${after.order.orderId}/${step.record.version}/${i}`, correlationId: after.order.orderId, causationId: cause.metadata.messageId, occurredAt: cause.metadata.occurredAt } },
      });
    });
    for (const id of step.cancelled) {
      armed.delete(id);
      cancelled.add(id);
    }
    for (const timer of step.armed) {
      cancelled.delete(timer.id);
      armed.set(timer.id, { timerId: timer.id, dueAt: new Date(Date.parse(cause.metadata.occurredAt) + timer.delayMs).toISOString(), armedVersion: step.record.version, event: timer.event });
    }
  }
  const last = steps.at(-1);
  if (last) outbox.push(viewFact(topics, after, last.cause));
  return {
    streamId: after.order.orderId,
    expectedVersion: before?.version ?? 0,
    events,
    status: isTerminal(after) ? 'done' : 'active',
    outbox,
    armed: [...armed.values()],
    cancelled: [...cancelled],
    applied,
  };
}


import type { OrderSagaCommand } from '../machines/orderTypes.ts';
import type { Message } from '../runtime/message.ts';
import { commandChecks } from './commandSchemas.ts';
import { final, type ParticipantSpec, type Performed } from './participant.ts';

/** Payment tokens that make the payment provider misbehave on purpose. */
export const TEST_TOKENS = { declined: 'tok_declined', noAnswer: 'tok_no_answer', flaky: 'tok_flaky' } as const;

/** How many attempts `tok_flaky` fails before it succeeds. */
const FLAKY_FAILURES = 2;

type Capture = Extract<OrderSagaCommand, { type: 'CapturePayment' }>['data'];
type Refund = Extract<OrderSagaCommand, { type: 'RefundPayment' }>['data'];

const declined = (reason: string): Performed => final({ type: 'PaymentFailed', data: { reason, retryable: false } }, { amount: 0 });

/**
 * The payment service: a ledger of captures and refunds. A refund of a payment that was never
 * captured records a zero refund, which also voids any capture that arrives after it.
 */
export function paymentParticipant(commandTopic: string): ParticipantSpec {
  return {
    name: 'payment',
    commandTopic,
    handles: {
      CapturePayment: { done: ['PaymentCaptured'], failed: ['PaymentFailed'], check: commandChecks.CapturePayment },
      RefundPayment: { done: ['PaymentRefunded'], failed: ['PaymentRefundFailed'], undoes: 'CapturePayment', check: commandChecks.RefundPayment },
    },
    outcomeTable: 'payment_ledger',
    outcomeColumns: { amount: 'bigint' },
    transientFailure: (command) => ({
      type: command.type === 'RefundPayment' ? 'PaymentRefundFailed' : 'PaymentFailed',
      data: { reason: 'PAYMENT_PROVIDER_UNAVAILABLE', retryable: true },
    }),
    async perform(_tx, commands: readonly Message[], earlier): Promise<Performed[]> {
      // What the ledger already says about these orders, then the batch applied in order on top of it.
      const captured = new Map<string, number>();
      const refunded = new Set<string>();
      for (const row of earlier) {
        if (row.operation === 'CapturePayment') captured.set(row.order_id, Number(row.amount));
        if (row.operation === 'RefundPayment') refunded.add(row.order_id);
      }
      return commands.map((command): Performed => {
        if (command.type === 'CapturePayment') {
          const capture = command.data as Capture;
          if (capture.paymentToken === TEST_TOKENS.noAnswer) return { kind: 'silent' };
          if (capture.paymentToken === TEST_TOKENS.flaky && capture.attempt <= FLAKY_FAILURES) {
            return { kind: 'transient', reply: { type: 'PaymentFailed', data: { reason: 'PAYMENT_PROVIDER_UNAVAILABLE', retryable: true } } };
          }
          if (refunded.has(capture.orderId)) return declined('PAYMENT_VOIDED');
          if (capture.paymentToken === TEST_TOKENS.declined) return declined('PAYMENT_DECLINED');
          captured.set(capture.orderId, capture.amount);
          return final({ type: 'PaymentCaptured', data: { amount: capture.amount } }, { amount: capture.amount });
        }
        if (command.type === 'RefundPayment') {
          const { orderId } = command.data as Refund;
          const amount = captured.get(orderId) ?? 0;
          refunded.add(orderId);
          return final({ type: 'PaymentRefunded', data: { amount } }, { amount });
        }
        throw new Error(`payment cannot handle ${command.type}`);
      });
    },
  };
}

import type { OrderSagaCommand } from '../machines/orderTypes.ts';
import type { Message } from '../runtime/message.ts';
import { storeOutcome, type ParticipantSpec, type Performed } from './participant.ts';

/** Payment tokens that make the payment provider misbehave on purpose. */
export const TEST_TOKENS = { declined: 'tok_declined', noAnswer: 'tok_no_answer', flaky: 'tok_flaky' } as const;

/** How many attempts `tok_flaky` fails before it succeeds. */
const FLAKY_FAILURES = 2;

type Capture = Extract<OrderSagaCommand, { type: 'CapturePayment' }>['data'];
type Refund = Extract<OrderSagaCommand, { type: 'RefundPayment' }>['data'];

/**
 * The payment service: a ledger of captures and refunds. A refund of a payment that was never
 * captured records a zero refund, which also voids any capture that arrives after it.
 */
export function paymentParticipant(commandTopic: string): ParticipantSpec {
  return {
    name: 'payment',
    commandTopic,
    outcomeTable: 'payment_ledger',
    transientFailure: (command) => ({
      type: command.type === 'RefundPayment' ? 'PaymentRefundFailed' : 'PaymentFailed',
      data: { reason: 'PAYMENT_PROVIDER_UNAVAILABLE', retryable: true },
    }),
    async perform(tx, command: Message): Promise<Performed> {
      if (command.type === 'CapturePayment') {
        const capture = command.data as Capture;
        if (capture.paymentToken === TEST_TOKENS.noAnswer) return { kind: 'silent' };
        if (capture.paymentToken === TEST_TOKENS.flaky && capture.attempt <= FLAKY_FAILURES) {
          return { kind: 'transient', reply: { type: 'PaymentFailed', data: { reason: 'PAYMENT_PROVIDER_UNAVAILABLE', retryable: true } } };
        }
        const voided = await tx.query(`select 1 from payment_ledger where order_id = $1 and operation = 'RefundPayment'`, [capture.orderId]);
        const row = { order_id: capture.orderId, operation: command.type, amount: 0 };
        if (voided.rows.length > 0) {
          return storeOutcome(tx, 'payment_ledger', row, { type: 'PaymentFailed', data: { reason: 'PAYMENT_VOIDED', retryable: false } });
        }
        if (capture.paymentToken === TEST_TOKENS.declined) {
          return storeOutcome(tx, 'payment_ledger', row, { type: 'PaymentFailed', data: { reason: 'PAYMENT_DECLINED', retryable: false } });
        }
        return storeOutcome(tx, 'payment_ledger', { ...row, amount: capture.amount }, { type: 'PaymentCaptured', data: { amount: capture.amount } });
      }
      if (command.type === 'RefundPayment') {
        const refund = command.data as Refund;
        const captured = await tx.query<{ amount: string | number }>(
          `select amount from payment_ledger where order_id = $1 and operation = 'CapturePayment'`,
          [refund.orderId],
        );
        const amount = Number(captured.rows[0]?.amount ?? 0);
        return storeOutcome(tx, 'payment_ledger', { order_id: refund.orderId, operation: command.type, amount }, { type: 'PaymentRefunded', data: { amount } });
      }
      throw new Error(`payment cannot handle ${command.type}`);
    },
  };
}

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMemoryIdempotencyGuard } from '../../adapters/memory/memoryIdempotencyGuard.ts';
import { createMemoryMessageBus } from '../../adapters/memory/memoryMessageBus.ts';
import { createCommandHandler } from '../../participants/participant.ts';
import { mergeParticipantCommands } from '../../participants/participantCommands.ts';
import { paymentParticipant } from '../../participants/payment.ts';
import { migrateParticipants } from '../../participants/schema.ts';
import { returnPaymentCommands } from '../../returns/returnPayment.ts';
import { refundsWithinCapture, type LedgerRow } from '../../returns/returnInvariants.ts';
import { migrateReturns } from '../../returns/schema.ts';
import { systemClock } from '../../runtime/clock.ts';
import { createMessage } from '../../runtime/message.ts';
import type { SqlClient } from '../../runtime/sqlClient.ts';
import { freshPgSchema } from '../support/postgres.ts';

/**
 * Two returns of one order refunded at the same moment, by two consumers (two partitions' batches
 * in two transactions): on PostgreSQL, where they really run at once, the second waits for the
 * first and sees its refund, so together they never pay back more than the order captured.
 */
describe('refunds of returns racing on PostgreSQL', () => {
  let sql: SqlClient;
  let dispose: () => Promise<void>;
  beforeAll(async () => {
    ({ sql, dispose } = await freshPgSchema('xsaga_returns'));
    await migrateParticipants(sql);
    await migrateReturns(sql);
  });
  afterAll(async () => dispose?.());

  const consumer = () =>
    createCommandHandler(mergeParticipantCommands(paymentParticipant('payments'), [returnPaymentCommands]), {
      sql,
      bus: createMemoryMessageBus(),
      guard: createMemoryIdempotencyGuard(),
      clock: systemClock,
      replyTopic: 'inbox',
    });
  const command = (type: string, correlationId: string, data: Record<string, unknown>) =>
    createMessage(type, { attempt: 1, currency: 'EUR', ...data }, { messageId: `${correlationId}/${type}`, correlationId, occurredAt: '2030-01-01T00:00:00.000Z' });

  it('lets one of two returns that each fit, but not both, refund an order', async () => {
    const [first, second] = [consumer(), consumer()];
    const orders = Array.from({ length: 12 }, (_, i) => `ord-${i}`);
    await first(orders.map((orderId) => command('CapturePayment', orderId, { orderId, amount: 1_000, paymentToken: 'tok_ok' })));
    const refund = (returnId: string, orderId: string) => command('RefundReturn', returnId, { returnId, orderId, amount: 600 });
    const replies = await Promise.all(orders.flatMap((orderId) => [first([refund(`${orderId}-a`, orderId)]), second([refund(`${orderId}-b`, orderId)])]));
    const outcomes = replies.flat().map((reply) => [reply.type, (reply.data as { reason?: string }).reason ?? 'refunded']);
    expect(outcomes.filter(([type]) => type === 'ReturnRefunded')).toHaveLength(orders.length);
    expect(outcomes.filter(([, reason]) => reason === 'REFUND_EXCEEDS_CAPTURE')).toHaveLength(orders.length);
    const ledger = await sql.query<LedgerRow>('select order_id, operation, amount, return_order_id from payment_ledger');
    expect(refundsWithinCapture(ledger.rows)).toEqual([]);
  });
});

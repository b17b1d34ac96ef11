import { describe, expect, it } from 'vitest';
import { createMemoryIdempotencyGuard } from '../../adapters/memory/memoryIdempotencyGuard.ts';
import { createMemoryMessageBus } from '../../adapters/memory/memoryMessageBus.ts';
import { inventoryParticipant } from '../../participants/inventory.ts';
import { createCommandHandler, type ParticipantSpec } from '../../participants/participant.ts';
import { mergeParticipantCommands } from '../../participants/participantCommands.ts';
import { paymentParticipant } from '../../participants/payment.ts';
import { migrateParticipants } from '../../participants/schema.ts';
import { shippingParticipant } from '../../participants/shipping.ts';
import { returnParticipantCommands } from '../../returns/returnParticipants.ts';
import { migrateReturns } from '../../returns/schema.ts';
import { systemClock } from '../../runtime/clock.ts';
import type { Message } from '../../runtime/message.ts';
import { freshPglite } from '../support/pglite.ts';

let sequence = 0;
const message = (type: string, correlationId: string, data: Record<string, unknown>): Message => {
  const id = `${correlationId}/${type}/${++sequence}`;
  return { type, data, metadata: { messageId: id, correlationId, causationId: id, occurredAt: '2030-01-01T00:00:00.000Z' } };
};
const capture = (orderId: string, amount: number) => message('CapturePayment', orderId, { orderId, amount, currency: 'EUR', paymentToken: 'tok_ok', attempt: 1 });
const refundOrder = (orderId: string) => message('RefundPayment', orderId, { orderId, amount: 0, currency: 'EUR', attempt: 1 });
const refund = (returnId: string, orderId: string, amount: number) => message('RefundReturn', returnId, { returnId, orderId, amount, currency: 'EUR', attempt: 1 });
const reverseRefund = (returnId: string, orderId: string) => message('ReverseReturnRefund', returnId, { returnId, orderId, currency: 'EUR', attempt: 1 });
const items = [
  { sku: 'SKU-1', quantity: 2, unitPrice: 100 },
  { sku: 'SKU-2', quantity: 1, unitPrice: 300 },
  { sku: 'SKU-1', quantity: 1, unitPrice: 100 },
];
const restock = (returnId: string) => message('RestockReturn', returnId, { returnId, orderId: 'o1', items, attempt: 1 });
const reverseRestock = (returnId: string) => message('ReverseReturnRestock', returnId, { returnId, orderId: 'o1', items, attempt: 1 });

/** A participant with the returns saga's commands merged in, on tables migrated as the system migrates them. */
async function merged(base: ParticipantSpec) {
  const sql = await freshPglite();
  await migrateParticipants(sql);
  await migrateReturns(sql);
  await migrateReturns(sql);
  const spec = mergeParticipantCommands(
    base,
    returnParticipantCommands.filter((commands) => commands.participant === base.name),
  );
  const handle = createCommandHandler(spec, { sql, bus: createMemoryMessageBus(), guard: createMemoryIdempotencyGuard(), clock: systemClock, replyTopic: 'inbox' });
  const replies = async (commands: Message[]) => (await handle(commands)).map((reply) => [reply.type, reply.data]);
  return { sql, replies };
}

describe('the payment participant, refunding returns', () => {
  it('refunds returns of an order up to what it captured, once each, keyed by the return', async () => {
    const { sql, replies } = await merged(paymentParticipant('payments'));
    await replies([capture('o1', 1_000)]);
    const first = refund('r1', 'o1', 600);
    expect(await replies([first, refund('r2', 'o1', 500), refund('r3', 'o1', 400), first])).toEqual([
      ['ReturnRefunded', { amount: 600 }],
      ['ReturnRefundFailed', { reason: 'REFUND_EXCEEDS_CAPTURE', retryable: false }],
      ['ReturnRefunded', { amount: 400 }],
      ['ReturnRefunded', { amount: 600 }],
    ]);
    // Redelivered later: the stored outcome answers, nothing is paid twice.
    expect(await replies([refund('r1', 'o1', 600), refund('r4', 'o1', 1)])).toEqual([
      ['ReturnRefunded', { amount: 600 }],
      ['ReturnRefundFailed', { reason: 'REFUND_EXCEEDS_CAPTURE', retryable: false }],
    ]);
    const rows = await sql.query('select order_id, operation, amount, return_order_id from payment_ledger order by order_id');
    expect(rows.rows).toEqual([
      { order_id: 'o1', operation: 'CapturePayment', amount: 1_000, return_order_id: null },
      { order_id: 'r1', operation: 'RefundReturn', amount: 600, return_order_id: 'o1' },
      { order_id: 'r2', operation: 'RefundReturn', amount: 0, return_order_id: 'o1' },
      { order_id: 'r3', operation: 'RefundReturn', amount: 400, return_order_id: 'o1' },
      { order_id: 'r4', operation: 'RefundReturn', amount: 0, return_order_id: 'o1' },
    ]);
  });

  it('counts the order’s own refund, and refuses a refund of an order never captured', async () => {
    const { replies } = await merged(paymentParticipant('payments'));
    await replies([capture('o1', 1_000), refundOrder('o1')]);
    expect(await replies([refund('r1', 'o1', 1), refund('r2', 'o-unknown', 1)])).toEqual([
      ['ReturnRefundFailed', { reason: 'REFUND_EXCEEDS_CAPTURE', retryable: false }],
      ['ReturnRefundFailed', { reason: 'REFUND_EXCEEDS_CAPTURE', retryable: false }],
    ]);
  });

  it('reverses what a refund paid, frees it for another return, and voids a refund that comes after its reversal', async () => {
    const { replies } = await merged(paymentParticipant('payments'));
    await replies([capture('o1', 1_000)]);
    expect(await replies([refund('r1', 'o1', 800), reverseRefund('r1', 'o1'), refund('r2', 'o1', 900), reverseRefund('never', 'o1')])).toEqual([
      ['ReturnRefunded', { amount: 800 }],
      ['ReturnRefundReversed', { amount: 800 }],
      ['ReturnRefunded', { amount: 900 }],
      ['ReturnRefundReversed', { amount: 0 }],
    ]);
    expect(await replies([refund('never', 'o1', 10)])).toEqual([['ReturnRefundFailed', { reason: 'REFUND_VOIDED', retryable: false }]]);
  });
});

describe('the inventory participant, restocking returns', () => {
  const available = async (sql: Awaited<ReturnType<typeof merged>>['sql']) =>
    Object.fromEntries((await sql.query<{ sku: string; available: number }>('select sku, available from inventory_stock order by sku')).rows.map((r) => [r.sku, r.available]));

  it('puts the returned items back once per return, however often the restock comes', async () => {
    const { sql, replies } = await merged(inventoryParticipant('inventory'));
    await replies([message('ReserveStock', 'o1', { orderId: 'o1', items, attempt: 1 })]);
    const before = await available(sql);
    const once = restock('r1');
    expect(await replies([once, once, restock('r2')])).toEqual([
      ['ReturnRestocked', {}],
      ['ReturnRestocked', {}],
      ['ReturnRestocked', {}],
    ]);
    await replies([once]);
    expect(await available(sql)).toEqual({ 'SKU-1': before['SKU-1']! + 6, 'SKU-2': before['SKU-2']! + 2 });
  });

  it('takes back what a restock put, voids a later restock, and waits while the goods are sold again', async () => {
    const { sql, replies } = await merged(inventoryParticipant('inventory'));
    expect(await replies([restock('r1'), reverseRestock('r1'), reverseRestock('r2')])).toEqual([
      ['ReturnRestocked', {}],
      ['ReturnRestockReversed', {}],
      ['ReturnRestockReversed', {}],
    ]);
    expect(await available(sql)).toEqual({ 'SKU-1': 0, 'SKU-2': 0 });
    expect(await replies([restock('r2')])).toEqual([['ReturnRestockFailed', { reason: 'RESTOCK_VOIDED', retryable: false }]]);
    const moved = await sql.query('select order_id, operation, items from inventory_reservations order by order_id, operation');
    expect(moved.rows).toEqual([
      { order_id: 'r1', operation: 'RestockReturn', items },
      { order_id: 'r1', operation: 'ReverseReturnRestock', items },
      { order_id: 'r2', operation: 'RestockReturn', items: [] },
      { order_id: 'r2', operation: 'ReverseReturnRestock', items: [] },
    ]);

    await replies([restock('r3')]);
    await sql.query(`update inventory_stock set available = 0 where sku = 'SKU-2'`);
    expect(await replies([reverseRestock('r3')])).toEqual([['ReturnRestockReversalFailed', { reason: 'RESTOCKED_GOODS_SOLD', retryable: true }]]);
    await sql.query(`update inventory_stock set available = 1 where sku = 'SKU-2'`);
    expect(await replies([reverseRestock('r3')])).toEqual([['ReturnRestockReversed', {}]]);
    expect(await available(sql)).toEqual({ 'SKU-1': 0, 'SKU-2': 0 });
  });
});

describe('the shipping participant, labelling returns', () => {
  it('issues one label per return, voids it, and refuses to issue a label after its void', async () => {
    const { sql, replies } = await merged(shippingParticipant('shipping'));
    const issue = (returnId: string) => message('IssueReturnLabel', returnId, { returnId, orderId: 'o1', customerId: 'c1', items, attempt: 1 });
    const voidLabel = (returnId: string) => message('VoidReturnLabel', returnId, { returnId, orderId: 'o1', labelId: null, attempt: 1 });
    expect(await replies([issue('r1'), issue('r1'), voidLabel('r1'), voidLabel('r2'), issue('r2')])).toEqual([
      ['ReturnLabelIssued', { labelId: 'lbl-r1' }],
      ['ReturnLabelIssued', { labelId: 'lbl-r1' }],
      ['ReturnLabelVoided', {}],
      ['ReturnLabelVoided', {}],
      ['ReturnLabelFailed', { reason: 'LABEL_VOIDED', retryable: false }],
    ]);
    expect((await sql.query('select count(*)::int as n from shipping_shipments')).rows).toEqual([{ n: 4 }]);
  });
});

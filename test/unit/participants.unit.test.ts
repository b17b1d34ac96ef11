import { describe, expect, it } from 'vitest';
import { createMemoryIdempotencyGuard } from '../../adapters/memory/memoryIdempotencyGuard.ts';
import { createMemoryMessageBus } from '../../adapters/memory/memoryMessageBus.ts';
import { createSqlSagaStore } from '../../adapters/sql/sqlSagaStore.ts';
import { inventoryParticipant, SOLD_OUT_SKU } from '../../participants/inventory.ts';
import { fraudParticipant, FRAUD_TEST_MARKERS, migrateFraudScores } from '../../participants/fraud.ts';
import { createCommandHandler, final, type ParticipantSpec } from '../../participants/participant.ts';
import { mergeParticipantCommands, participantCommands } from '../../participants/participantCommands.ts';
import { paymentParticipant } from '../../participants/payment.ts';
import { shippingParticipant } from '../../participants/shipping.ts';
import { migrateParticipants } from '../../participants/schema.ts';
import { systemClock } from '../../runtime/clock.ts';
import type { DeadLetterSink } from '../../runtime/deadLetter.ts';
import type { Message } from '../../runtime/message.ts';
import { freshPglite } from '../support/pglite.ts';

const command = (type: string, orderId: string, data: Record<string, unknown>, id = `${orderId}/${type}/${Math.random()}`): Message => ({
  type,
  data: { orderId, ...data },
  metadata: { messageId: id, correlationId: orderId, causationId: id, occurredAt: '2026-01-01T00:00:00.000Z' },
});

async function handlerFor(spec: ParticipantSpec, chaos?: { failureRate: number; latencyMs: number }) {
  const sql = await freshPglite();
  await migrateParticipants(sql);
  const guard = createMemoryIdempotencyGuard();
  const handle = createCommandHandler(spec, { sql, bus: createMemoryMessageBus(), guard, clock: systemClock, replyTopic: 'inbox', chaos });
  return { sql, guard, handle };
}

describe('participants', () => {
  it('scores an order once, by its markers, and answers a silent scorer with nothing', async () => {
    const { sql, handle } = await handlerFor(fraudParticipant('fraud'));
    await migrateFraudScores(sql);
    const score = (orderId: string, customerId: string, paymentToken = 'tok_ok') =>
      command('ScoreFraud', orderId, { customerId, amount: 150_000, currency: 'EUR', paymentToken, attempt: 1 }, `${orderId}/score`);
    const replies = await handle([score('a', 'cust-1'), score('b', `cust-${FRAUD_TEST_MARKERS.doubtful}`), score('c', 'cust-3', `tok_${FRAUD_TEST_MARKERS.fraud}`), score('d', `cust-${FRAUD_TEST_MARKERS.silent}`)]);
    expect(replies.map((r) => [r.metadata.correlationId, r.type, r.data])).toEqual([
      ['a', 'FraudScored', { verdict: 'clean', score: 0.05 }],
      ['b', 'FraudScored', { verdict: 'doubtful', score: 0.55 }],
      ['c', 'FraudScored', { verdict: 'fraud', score: 0.97 }],
    ]);
    // Delivered again: the stored score answers, with the same reply id, and no second row.
    const [again] = await handle([score('b', `cust-${FRAUD_TEST_MARKERS.doubtful}`)]);
    expect(again!.metadata.messageId).toBe(replies[1]!.metadata.messageId);
    expect((await sql.query('select order_id, verdict from fraud_scores order by order_id')).rows).toEqual([
      { order_id: 'a', verdict: 'clean' },
      { order_id: 'b', verdict: 'doubtful' },
      { order_id: 'c', verdict: 'fraud' },
    ]);
  });

  it('charges once for a capture delivered three times in one batch and again later, with one reply id', async () => {
    const { sql, handle } = await handlerFor(paymentParticipant('payments'));
    const capture = command('CapturePayment', 'o1', { amount: 500, currency: 'EUR', paymentToken: 'tok_ok', attempt: 1 }, 'cmd-1');
    const first = await handle([capture, capture, capture]);
    const later = await handle([capture]);
    expect([...first, ...later].map((r) => r.type)).toEqual(['PaymentCaptured', 'PaymentCaptured', 'PaymentCaptured', 'PaymentCaptured']);
    expect(new Set([...first, ...later].map((r) => r.metadata.messageId)).size).toBe(1);
    expect((await sql.query('select amount from payment_ledger where order_id = $1', ['o1'])).rows).toEqual([{ amount: 500 }]);
  });

  it('refunds what was captured, and voids a capture that arrives after a refund', async () => {
    const { sql, handle } = await handlerFor(paymentParticipant('payments'));
    await handle([
      command('CapturePayment', 'paid', { amount: 700, currency: 'EUR', paymentToken: 'tok_ok', attempt: 1 }),
      command('RefundPayment', 'paid', { amount: 700, currency: 'EUR', attempt: 1 }),
      command('RefundPayment', 'late', { amount: 300, currency: 'EUR', attempt: 1 }),
    ]);
    const [late] = await handle([command('CapturePayment', 'late', { amount: 300, currency: 'EUR', paymentToken: 'tok_ok', attempt: 1 })]);
    expect(late).toMatchObject({ type: 'PaymentFailed', data: { reason: 'PAYMENT_VOIDED', retryable: false } });
    const net = await sql.query<{ order_id: string; net: string | number }>(
      `select order_id, sum(case when operation = 'CapturePayment' then amount else -amount end) as net from payment_ledger group by order_id order by order_id`,
    );
    expect(net.rows.map((r) => [r.order_id, Number(r.net)])).toEqual([
      ['late', 0],
      ['paid', 0],
    ]);
  });

  it('refunds in a later batch what an earlier one captured, read with the stored outcomes', async () => {
    const { handle } = await handlerFor(paymentParticipant('payments'));
    await handle([command('CapturePayment', 'o1', { amount: 640, currency: 'EUR', paymentToken: 'tok_ok', attempt: 1 })]);
    const [refund] = await handle([command('RefundPayment', 'o1', { amount: 640, currency: 'EUR', attempt: 1 })]);
    expect(refund).toMatchObject({ type: 'PaymentRefunded', data: { amount: 640 } });
  });

  it('answers a flaky token transiently without storing anything, then captures on the third attempt', async () => {
    const { sql, handle } = await handlerFor(paymentParticipant('payments'));
    for (const attempt of [1, 2]) {
      const [reply] = await handle([command('CapturePayment', 'f', { amount: 1, currency: 'EUR', paymentToken: 'tok_flaky', attempt })]);
      expect(reply).toMatchObject({ type: 'PaymentFailed', data: { retryable: true } });
    }
    expect((await sql.query('select * from payment_ledger')).rows).toEqual([]);
    const [third] = await handle([command('CapturePayment', 'f', { amount: 1, currency: 'EUR', paymentToken: 'tok_flaky', attempt: 3 })]);
    expect(third?.type).toBe('PaymentCaptured');
  });

  it('reserves within stock, refuses beyond it, releases once, and conserves stock across a batch', async () => {
    const { sql, handle } = await handlerFor(inventoryParticipant('inventory'));
    const items = [{ sku: 'SKU-7', quantity: 3, unitPrice: 1 }];
    const replies = await handle([
      command('ReserveStock', 'a', { items, attempt: 1 }),
      command('ReserveStock', 'b', { items, attempt: 1 }),
      command('ReserveStock', 'c', { items: [{ sku: SOLD_OUT_SKU, quantity: 1, unitPrice: 1 }], attempt: 1 }),
      command('ReleaseStock', 'b', { items, attempt: 1 }),
      command('ReleaseStock', 'b', { items, attempt: 1 }),
      command('ReleaseStock', 'never-reserved', { items, attempt: 1 }),
    ]);
    expect(replies.map((r) => r.type)).toEqual(['StockReserved', 'StockReserved', 'StockReservationFailed', 'StockReleased', 'StockReleased', 'StockReleased']);
    const stock = await sql.query<{ initial: number; available: number }>('select initial, available from inventory_stock where sku = $1', ['SKU-7']);
    expect(stock.rows[0]!.initial - stock.rows[0]!.available).toBe(3);
    const [late] = await handle([command('ReserveStock', 'never-reserved', { items, attempt: 1 })]);
    expect(late).toMatchObject({ type: 'StockReservationFailed', data: { reason: 'RESERVATION_CANCELLED' } });
  });
});

describe('a participant meeting a command it cannot perform', () => {
  async function withDeadLetters(spec: ParticipantSpec) {
    const sql = await freshPglite();
    await migrateParticipants(sql);
    const store = await createSqlSagaStore(sql);
    const deadLetters: DeadLetterSink = { topic: 'dead-letters', record: async (letters) => void (await store.deadLetter(letters)) };
    const handle = createCommandHandler(spec, { sql, bus: createMemoryMessageBus(), guard: createMemoryIdempotencyGuard(), clock: systemClock, replyTopic: 'inbox', deadLetters });
    const reasons = async () => Object.fromEntries((await store.deadLetters({ limit: 20 })).map((d) => [d.streamId, d.reason]));
    return { sql, store, handle, reasons };
  }
  const items = [{ sku: 'SKU-7', quantity: 1, unitPrice: 1 }];

  it('dead-letters it, performs the others of its batch and answers them', async () => {
    const { sql, handle, reasons } = await withDeadLetters(inventoryParticipant('inventory'));
    const replies = await handle([
      command('ReserveStock', 'ok-1', { items, attempt: 1 }),
      command('ReserveStock', 'no-items', { items: null, attempt: 1 }),
      command('ShipEverything', 'not-mine', { attempt: 1 }),
      // PostgreSQL keeps no NUL in text: the SKU is refused when the stock is seeded.
      command('ReserveStock', 'nul-sku', { items: [{ sku: 'SKU-\u0000', quantity: 1, unitPrice: 1 }], attempt: 1 }),
      command('ReserveStock', 'ok-2', { items, attempt: 1 }),
    ]);
    expect(replies.map((r) => [r.metadata.correlationId, r.type])).toEqual([
      ['ok-1', 'StockReserved'],
      ['ok-2', 'StockReserved'],
    ]);
    expect(await reasons()).toEqual({ 'no-items': 'SCHEMA_VIOLATION', 'not-mine': 'UNEXPECTED_COMMAND', 'nul-sku': 'STORE_REJECTED' });
    const reserved = await sql.query<{ order_id: string }>('select order_id from inventory_reservations order by order_id');
    expect(reserved.rows.map((r) => r.order_id)).toEqual(['ok-1', 'ok-2']);
  });

  it('dead-letters a command its own code throws on, once however often it comes', async () => {
    const shipping = shippingParticipant('shipping');
    const fragile: ParticipantSpec = {
      ...shipping,
      perform: async (tx, commands, earlier) => {
        if (commands.some((c) => c.metadata.correlationId === 'cursed')) throw new TypeError('cannot read the label of the cursed parcel');
        return shipping.perform(tx, commands, earlier);
      },
    };
    const { store, handle, reasons } = await withDeadLetters(fragile);
    const address = { name: 'Ada', line1: '1 Main St', city: 'Berlin', postalCode: '10115', country: 'DE' };
    const cursed = command('CreateShipment', 'cursed', { address, items, attempt: 1 });
    const replies = await handle([command('CreateShipment', 'fine', { address, items, attempt: 1 }), cursed]);
    await handle([cursed]);
    expect(replies.map((r) => r.metadata.correlationId)).toEqual(['fine']);
    expect(await reasons()).toEqual({ cursed: 'HANDLER_FAILED' });
    expect(await store.deadLetters({ streamId: 'cursed', limit: 5 })).toHaveLength(1);
    expect((await store.deadLetters({ streamId: 'cursed', limit: 1 }))[0]!.error).toMatch(/TypeError: cannot read the label/);
  });
});

describe('commands a saga adds to a participant', () => {
  /** A contribution to payment keyed by its own id: several tips per order, each performed once. */
  function tips() {
    const performed: string[][] = [];
    const earlierSeen: [string, string, number][][] = [];
    const commands = participantCommands({
      participant: 'payment',
      handles: { AddTip: { done: ['TipAdded'], failed: ['TipFailed'] } },
      subjectOf: (c) => (c.data as { tipId: string }).tipId,
      transientFailure: () => ({ type: 'TipFailed', data: { reason: 'TIPS_DOWN', retryable: true } }),
      async perform(_tx, batch, earlier) {
        performed.push(batch.map((c) => (c.data as { tipId: string }).tipId));
        earlierSeen.push(earlier.map((row) => [row.order_id, row.operation, Number(row.amount)]));
        return batch.map((c) => final({ type: 'TipAdded', data: { amount: (c.data as { amount: number }).amount } }, { amount: (c.data as { amount: number }).amount }));
      },
    });
    return { commands, performed, earlierSeen };
  }
  const capture = (orderId: string) => command('CapturePayment', orderId, { amount: 500, currency: 'EUR', paymentToken: 'tok_ok', attempt: 1 });
  const tip = (tipId: string, amount = 50) => command('AddTip', 'o1', { tipId, amount });

  it('performs a mixed batch through each owner, in order, answers in batch order, and keys added commands by their subject', async () => {
    const { commands, performed } = tips();
    const merged = mergeParticipantCommands(paymentParticipant('payments'), [commands]);
    expect(Object.keys(merged.handles)).toEqual(['CapturePayment', 'RefundPayment', 'AddTip']);
    const { sql, handle } = await handlerFor(merged);
    const replies = await handle([tip('t1', 10), capture('o1'), tip('t2', 20), capture('o2'), tip('t1', 10)]);
    expect(replies.map((r) => [r.type, r.metadata.correlationId])).toEqual([
      ['TipAdded', 'o1'],
      ['PaymentCaptured', 'o1'],
      ['TipAdded', 'o1'],
      ['PaymentCaptured', 'o2'],
      ['TipAdded', 'o1'],
    ]);
    // The second t1 is a duplicate of the first: performed once, and two tips of one order are two subjects.
    expect(performed).toEqual([['t1', 't2']]);
    await handle([tip('t2', 20)]);
    expect(performed).toEqual([['t1', 't2']]);
    const rows = await sql.query<{ order_id: string; operation: string; amount: number }>('select order_id, operation, amount from payment_ledger order by order_id');
    expect(rows.rows).toEqual([
      { order_id: 'o1', operation: 'CapturePayment', amount: 500 },
      { order_id: 'o2', operation: 'CapturePayment', amount: 500 },
      { order_id: 't1', operation: 'AddTip', amount: 10 },
      { order_id: 't2', operation: 'AddTip', amount: 20 },
    ]);
  });

  it('hands every owner the outcome rows its batch’s subjects already have, whatever the operation, with the participant’s own columns', async () => {
    const { commands, earlierSeen } = tips();
    const { handle } = await handlerFor(mergeParticipantCommands(paymentParticipant('payments'), [commands]));
    await handle([capture('o1'), tip('t1', 10)]);
    await handle([command('RefundPayment', 'o1', { amount: 500, currency: 'EUR', attempt: 1 }), tip('t3', 30)]);
    expect(earlierSeen).toEqual([[], [['o1', 'CapturePayment', 500]]]);
  });

  it('answers a transient failure with the reply of the command’s own owner', async () => {
    const merged = mergeParticipantCommands(paymentParticipant('payments'), [tips().commands]);
    const { handle } = await handlerFor(merged, { failureRate: 1, latencyMs: 0 });
    expect((await handle([capture('o1'), tip('t1')])).map((r) => r.type)).toEqual(['PaymentFailed', 'TipFailed']);
  });

  it('refuses a command two owners claim, and commands meant for another participant', () => {
    const payment = paymentParticipant('payments');
    const { commands } = tips();
    expect(() => mergeParticipantCommands(payment, [commands, commands])).toThrow('payment is given AddTip twice');
    expect(() => mergeParticipantCommands(payment, [{ ...commands, handles: { RefundPayment: { done: [], failed: [] } } }])).toThrow('payment is given RefundPayment twice');
    expect(() => mergeParticipantCommands(payment, [{ ...commands, participant: 'inventory' }])).toThrow('commands for participant inventory cannot join payment');
    expect(mergeParticipantCommands(payment, [])).toBe(payment);
  });

  it('dead-letters an added command that lacks its subject', async () => {
    const merged = mergeParticipantCommands(paymentParticipant('payments'), [tips().commands]);
    const sql = await freshPglite();
    await migrateParticipants(sql);
    const letters: string[] = [];
    const deadLetters: DeadLetterSink = { topic: 'dead-letters', record: async (records) => void letters.push(...records.map((r) => `${r.reason}: ${r.error}`)) };
    const handle = createCommandHandler(merged, { sql, bus: createMemoryMessageBus(), guard: createMemoryIdempotencyGuard(), clock: systemClock, replyTopic: 'inbox', deadLetters });
    expect(await handle([command('AddTip', 'o1', { amount: 5 })])).toEqual([]);
    expect(letters).toEqual([expect.stringMatching(/^SCHEMA_VIOLATION: .*AddTip: its subject/)]);
  });
});

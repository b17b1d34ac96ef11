import { describe, expect, it } from 'vitest';
import { createMemoryIdempotencyGuard } from '../../adapters/memory/memoryIdempotencyGuard.ts';
import { createMemoryMessageBus } from '../../adapters/memory/memoryMessageBus.ts';
import { createSqlSagaStore } from '../../adapters/sql/sqlSagaStore.ts';
import { topicsFor } from '../../orders/topics.ts';
import { inventoryParticipant } from '../../participants/inventory.ts';
import { createCommandHandler, type ParticipantSpec } from '../../participants/participant.ts';
import { mergeParticipantCommands } from '../../participants/participantCommands.ts';
import { paymentParticipant } from '../../participants/payment.ts';
import { migrateParticipants } from '../../participants/schema.ts';
import { shippingParticipant } from '../../participants/shipping.ts';
import { RETURN_REQUESTED } from '../../returns/returnEvents.ts';
import { readReturnFacts } from '../../returns/returnFacts.ts';
import { checkReturnInvariants } from '../../returns/returnInvariants.ts';
import { returnParticipantCommands } from '../../returns/returnParticipants.ts';
import { returnSagaDefinition } from '../../returns/returnSagaDefinition.ts';
import { RETURN_SETTING_DEFAULTS } from '../../returns/returnSettings.ts';
import type { ReturnItem } from '../../returns/returnTypes.ts';
import type { ReturnView } from '../../returns/returnView.ts';
import { migrateReturns } from '../../returns/schema.ts';
import { systemClock } from '../../runtime/clock.ts';
import { createMessage, type Message } from '../../runtime/message.ts';
import { MachineRegistry } from '../../runtime/sagaDefinition.ts';
import { createSagaRuntime } from '../../runtime/sagaRuntime.ts';
import { freshPglite } from '../support/pglite.ts';
import { outboxOf } from '../support/storeRows.ts';

const topics = topicsFor('returns-flow');
const definition = returnSagaDefinition({ ...topics, returnEvents: 'returns-flow.return-events' });

/**
 * Returns run by the runtime against the real participants (merged with the returns' commands) on
 * one PGlite: every command in the outbox is performed and answered until nothing is left to do.
 * Then the returns' invariants hold on the participants' own rows.
 */
async function returnsSystem() {
  const sql = await freshPglite();
  await migrateParticipants(sql);
  await migrateReturns(sql);
  const store = await createSqlSagaStore(sql);
  const runtime = createSagaRuntime({ store, registry: new MachineRegistry().register(definition) });
  const deps = { sql, bus: createMemoryMessageBus(), guard: createMemoryIdempotencyGuard(), clock: systemClock, replyTopic: topics.sagaInbox };
  const merged = (base: ParticipantSpec) => mergeParticipantCommands(base, returnParticipantCommands.filter((commands) => commands.participant === base.name));
  const handlers = new Map(
    [paymentParticipant(topics.paymentCommands), inventoryParticipant(topics.inventoryCommands), shippingParticipant(topics.shippingCommands)].map((spec) => [
      spec.commandTopic,
      createCommandHandler(merged(spec), deps),
    ]),
  );
  const performed = new Set<string>();

  /** Performs every command not yet performed, in outbox order, and hands the replies to the sagas; until none is left. */
  async function settle(streamIds: readonly string[]): Promise<void> {
    for (;;) {
      const rows = (await Promise.all(streamIds.map((id) => outboxOf(sql, id)))).flat().filter((row) => handlers.has(row.topic) && !performed.has(row.message.metadata.messageId));
      if (rows.length === 0) return;
      // One batch per participant, as its consumer would take them.
      const replies: Message[] = [];
      for (const [topic, handle] of handlers) {
        const batch = rows.filter((row) => row.topic === topic).map((row) => row.message);
        batch.forEach((command) => performed.add(command.metadata.messageId));
        if (batch.length > 0) replies.push(...(await handle(batch)));
      }
      await runtime.handle(replies);
    }
  }
  const order = async (orderId: string, total: number, items: ReturnItem[]) => {
    const command = (type: string, data: Record<string, unknown>) => createMessage(type, { orderId, attempt: 1, ...data }, { messageId: `${orderId}/${type}`, correlationId: orderId, occurredAt: '2030-01-01T00:00:00.000Z' });
    await handlers.get(topics.paymentCommands)!([command('CapturePayment', { amount: total, currency: 'EUR', paymentToken: 'tok_ok' })]);
    await handlers.get(topics.inventoryCommands)!([command('ReserveStock', { items })]);
  };
  const requestReturn = (returnId: string, orderId: string, items: ReturnItem[]) =>
    runtime.start(
      definition,
      createMessage(
        RETURN_REQUESTED,
        {
          returnId,
          orderId,
          customerId: 'cus-1',
          items,
          refundAmount: items.reduce((sum, item) => sum + item.quantity * item.unitPrice, 0),
          currency: 'EUR',
          reason: 'changed my mind',
          requestedAt: '2030-01-02T00:00:00.000Z',
          settings: RETURN_SETTING_DEFAULTS,
        },
        { messageId: `${returnId}/start`, correlationId: returnId, occurredAt: '2030-01-02T00:00:00.000Z' },
      ),
    );
  const parcelIn = (returnId: string) =>
    runtime.handle([createMessage('ParcelReceived', {}, { messageId: `${returnId}/parcel`, correlationId: returnId, occurredAt: '2030-01-04T00:00:00.000Z' })]);
  const view = async (returnId: string) => {
    const live = await runtime.hydrate(returnId);
    return definition.view({ streamId: returnId, version: live!.version, snapshot: live!.snapshot as never, updatedAt: '2030-01-05T00:00:00.000Z' });
  };
  const invariants = async (views: readonly ReturnView[]) => checkReturnInvariants(await readReturnFacts(sql, views));
  const available = async (sku: string) => (await sql.query<{ available: number }>('select available from inventory_stock where sku = $1', [sku])).rows[0]!.available;
  return { settle, order, requestReturn, parcelIn, view, invariants, available };
}

describe('returns, run against the real participants', () => {
  // Dozens of transactions on PGlite, which takes seconds to start: room for a busy machine.
  it('refunds within the capture, restocks once per returned item, and undoes the restock of a return whose refund is refused', { timeout: 120_000 }, async () => {
    const system = await returnsSystem();
    const shoe = { sku: 'SKU-41', quantity: 2, unitPrice: 3_000 };
    await system.order('ord-1', 6_000, [shoe]);
    const before = await system.available('SKU-41');

    await system.requestReturn('ret-1', 'ord-1', [{ ...shoe, quantity: 1 }]);
    await system.settle(['ret-1']);
    expect((await system.view('ret-1')).state).toBe('awaitingParcel');
    await system.parcelIn('ret-1');
    await system.settle(['ret-1']);
    expect(await system.view('ret-1')).toMatchObject({ status: 'COMPLETED', refund: { amount: 3_000, refunded: 3_000 } });
    expect(await system.available('SKU-41')).toBe(before + 1);

    // The same item twice more: the second return of it exceeds what the order captured.
    await system.requestReturn('ret-2', 'ord-1', [{ ...shoe, quantity: 1 }]);
    await system.requestReturn('ret-3', 'ord-1', [{ ...shoe, quantity: 1 }]);
    await system.settle(['ret-2', 'ret-3']);
    await system.parcelIn('ret-2');
    await system.parcelIn('ret-3');
    await system.settle(['ret-2', 'ret-3']);
    const views = await Promise.all(['ret-1', 'ret-2', 'ret-3'].map(system.view));
    expect(views.map((v) => [v.returnId, v.status, v.failureReason, v.refund.refunded])).toEqual([
      ['ret-1', 'COMPLETED', null, 3_000],
      ['ret-2', 'COMPLETED', null, 3_000],
      ['ret-3', 'FAILED', 'REFUND_EXCEEDS_CAPTURE', 0],
    ]);
    expect(await system.available('SKU-41')).toBe(before + 2);
    expect(await system.invariants(views)).toMatchObject({ violations: [], byStatus: { COMPLETED: 2, FAILED: 1 } });
  });
});

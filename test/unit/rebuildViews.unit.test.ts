import { describe, expect, it } from 'vitest';
import { createMemoryOrderReadModel } from '../../adapters/memory/memoryOrderReadModel.ts';
import { createSqlSagaStore } from '../../adapters/sql/sqlSagaStore.ts';
import { orderRequestFor, scenarioFor } from '../../app/orderMix.ts';
import { orderSagaDefinition } from '../../orders/orderSagaDefinition.ts';
import { createOrderService } from '../../orders/orderService.ts';
import { topicsFor } from '../../orders/topics.ts';
import { createMessage, replyTo, type Message } from '../../runtime/message.ts';
import { rebuildViews } from '../../runtime/rebuildViews.ts';
import { MachineRegistry } from '../../runtime/sagaDefinition.ts';
import { createSagaRuntime } from '../../runtime/sagaRuntime.ts';
import type { SagaStore } from '../../runtime/sagaStore.ts';
import { FRAGILE_STARTED, fragileSagaDefinition } from '../fixtures/fragileSaga.ts';
import { freshPglite } from '../support/pglite.ts';
import { testClock } from '../support/testClock.ts';

const topics = topicsFor('rebuild-views-unit');
const definition = orderSagaDefinition(topics);
const settings = { paymentTimeoutMs: 600_000, maxAttempts: 3, retryBaseMs: 200, retryMaxMs: 60_000, parkAfterAttempts: 50 };

describe('rebuilding the views of one machine from the event store', () => {
  it('folds only that machine’s streams, a page at a time, each view dated by its stream’s last event', async () => {
    const sql = await freshPglite();
    const store = await createSqlSagaStore(sql);
    const fragile = fragileSagaDefinition(topics.orderEvents);
    const registry = new MachineRegistry().register(definition).register(fragile);
    // A snapshot at every event: a stream's snapshot is at its head, and no event follows it.
    const runtime = createSagaRuntime({ store, registry, deadLetterTopic: topics.deadLetters, snapshotEvery: 1 });
    const clock = testClock(Date.parse('2026-04-01T00:00:00.000Z'));
    const orders = createOrderService({ runtime, store, definition, readModel: createMemoryOrderReadModel(), clock, settings });

    const orderIds: string[] = [];
    for (let n = 0; n < 3; n++) {
      orderIds.push((await orders.placeOrder(orderRequestFor(n, scenarioFor(0)))).orderId);
      clock.advance(1_000);
    }
    for (const id of ['fragile-1', 'fragile-2']) {
      await runtime.start(fragile, createMessage(FRAGILE_STARTED, {}, { messageId: `${id}/started`, correlationId: id, occurredAt: '2026-04-02T00:00:00.000Z' }));
    }
    const [moved] = orderIds;
    const { rows } = await sql.query<{ message: Message }>(`select message from xsaga_outbox where stream_id = $1 and message->>'type' = 'CapturePayment'`, [moved]);
    await runtime.handle([replyTo(rows[0]!.message, 'PaymentCaptured', { amount: 1 }, '2026-04-03T00:00:00.000Z')]);

    // As snapshots were stored before they kept the saga's times: only the stream's head event dates it now.
    await sql.query('update xsaga_snapshots set times = null');

    const loads: number[] = [];
    const counted: Pick<SagaStore, 'listStreams' | 'loadMany' | 'readStream'> = {
      listStreams: (options) => store.listStreams(options),
      loadMany: (ids) => {
        loads.push(ids.length);
        return store.loadMany(ids);
      },
      readStream: (streamId, fromVersion) => store.readStream(streamId, fromVersion),
    };
    const views = createMemoryOrderReadModel();
    const written = await rebuildViews({ store: counted, registry, machineId: definition.machine.id, views, pageSize: 2 });

    expect(written).toBe(3);
    // Five streams in pages of two: each page's order streams loaded in one call.
    expect(loads.reduce((sum, n) => sum + n, 0)).toBe(3);
    expect(loads.every((n) => n <= 2)).toBe(true);
    expect(await views.get('fragile-1')).toBeUndefined();
    expect((await views.search({})).total).toBe(3);
    const [first, second, third] = await Promise.all(orderIds.map((id) => views.get(id)));
    expect(first).toMatchObject({ version: 2, state: 'inventory.reserving', updatedAt: '2026-04-03T00:00:00.000Z' });
    expect(second).toMatchObject({ version: 1, state: 'payment.capturing', updatedAt: '2026-04-01T00:00:01.000Z' });
    expect(third).toMatchObject({ version: 1, updatedAt: '2026-04-01T00:00:02.000Z' });
  });
});

import { describe, expect, it } from 'vitest';
import { createMemoryMessageBus } from '../../adapters/memory/memoryMessageBus.ts';
import { createMemoryOrderReadModel } from '../../adapters/memory/memoryOrderReadModel.ts';
import { createMemoryViewStore } from '../../adapters/memory/memoryViewStore.ts';
import { createSqlSagaStore } from '../../adapters/sql/sqlSagaStore.ts';
import type { VersionedView } from '../../orders/orderReadModel.ts';
import { orderView } from '../../orders/orderView.ts';
import { orderViewSpec } from '../../orders/orderViewSpec.ts';
import { startProjector } from '../../runtime/projector.ts';
import type { DeadLetterSink } from '../../runtime/deadLetter.ts';
import { XsagaError } from '../../runtime/errors.ts';
import type { Message } from '../../runtime/message.ts';
import { claimOf, claimViewSpec } from '../fixtures/claimView.ts';
import { eventually } from '../support/eventually.ts';
import { freshPglite } from '../support/pglite.ts';

const viewOf = (orderId: string, version: number) =>
  orderView({
    context: {
      order: {
        orderId,
        customerId: 'c',
        currency: 'EUR',
        items: [{ sku: 'SKU-1', quantity: 1, unitPrice: 100 }],
        total: 100,
        paymentToken: 'tok_ok',
        shippingAddress: { name: 'Ada', line1: '1 Main St', city: 'Berlin', postalCode: '10115', country: 'DE' },
        placedAt: '2026-01-01T00:00:00.000Z',
      },
      settings: { paymentTimeoutMs: 1000, maxAttempts: 3, retryBaseMs: 200, retryMaxMs: 60_000, parkAfterAttempts: 50 },
      attempts: { capture: 1, reserve: 0, ship: 0, release: 0, refund: 0 },
      retryFrom: { capture: 0, reserve: 0, ship: 0, release: 0, refund: 0 },
      backoffMs: 0,
      steps: [],
      failureReason: null,
      attention: null,
    },
    value: { payment: 'capturing' },
    version,
    machineVersion: 1,
    updatedAt: '2026-01-01T00:00:00.000Z',
  });

const fact = (streamId: string, data: unknown): Message => ({
  type: 'SagaViewUpdated',
  data,
  metadata: { messageId: `${streamId}/${Math.random()}/view`, correlationId: streamId, causationId: 'c', occurredAt: '2026-01-01T00:00:00.000Z' },
});

describe('the projector meeting a fact it cannot project', () => {
  it('dead-letters a fact that is no view and a view the read model refuses, and projects the others', async () => {
    const store = await createSqlSagaStore(await freshPglite());
    const readModel = createMemoryOrderReadModel();
    // A read model whose mapping refuses one order's document, as Elasticsearch does with a field of the wrong type.
    const picky = {
      ...readModel,
      async upsert(views: readonly VersionedView[]) {
        if (views.some((v) => v.id === 'refused')) throw new XsagaError('UNAVAILABLE', 'Elasticsearch rejected 1 write: refused: mapper_parsing_exception', { retryable: false });
        return readModel.upsert(views);
      },
    };
    const bus = createMemoryMessageBus({ partitions: 2, mergePartitions: true });
    const deadLetters: DeadLetterSink = { topic: 'dead-letters', record: async (letters) => void (await store.deadLetter(letters)) };
    const projector = await startProjector({ bus, projections: [{ topic: 'order-events', store: picky, spec: orderViewSpec }], deadLetters });
    try {
      const facts = [
        fact('a', { streamId: 'a', version: 1, view: viewOf('a', 1) }),
        fact('no-view', { streamId: 'no-view', version: 2, view: null }),
        fact('refused', { streamId: 'refused', version: 1, view: viewOf('refused', 1) }),
        fact('b', { streamId: 'b', version: 3, view: viewOf('b', 3) }),
      ];
      await bus.publish(facts.map((message) => ({ topic: 'order-events', key: message.metadata.correlationId, message })));
      await eventually(async () => expect(await store.deadLetters({ limit: 10 })).toHaveLength(2), { timeoutMs: 10_000 });
      const letters = Object.fromEntries((await store.deadLetters({ limit: 10 })).map((d) => [d.streamId, [d.consumer, d.reason]]));
      expect(letters).toEqual({ 'no-view': ['projector', 'SCHEMA_VIOLATION'], refused: ['projector', 'READ_MODEL_REJECTED'] });
      expect((await readModel.get('a'))?.version).toBe(1);
      expect((await readModel.get('b'))?.version).toBe(3);
      expect(await readModel.get('refused')).toBeUndefined();
    } finally {
      await projector.stop();
      await bus.close();
    }
  });
});

describe('the projector while the read model is down', () => {
  it('dead-letters nothing, waits longer after each failed batch, stops without waiting it out, and catches up', async () => {
    const store = await createSqlSagaStore(await freshPglite());
    const readModel = createMemoryOrderReadModel();
    let down = true;
    const attempts: number[] = [];
    const unreachable = {
      ...readModel,
      async upsert(views: readonly VersionedView[]) {
        if (!down) return readModel.upsert(views);
        attempts.push(Date.now());
        throw new Error('connect ECONNREFUSED 127.0.0.1:9200');
      },
    };
    const bus = createMemoryMessageBus({ partitions: 1, retryDelayMs: 0 });
    const deadLetters: DeadLetterSink = { topic: 'dead-letters', record: async (letters) => void (await store.deadLetter(letters)) };
    const start = () => startProjector({ bus, projections: [{ topic: 'order-events', store: unreachable, spec: orderViewSpec }], deadLetters, outageBackoff: { baseMs: 40, maxMs: 60_000 } });
    let projector = await start();
    try {
      await bus.publish([{ topic: 'order-events', key: 'a', message: fact('a', { streamId: 'a', version: 1, view: viewOf('a', 1) }) }]);
      await eventually(() => expect(attempts.length).toBeGreaterThanOrEqual(4), { timeoutMs: 10_000 });
      const gaps = attempts.slice(1, 4).map((at, i) => at - attempts[i]!);
      // 40, 80, 160 ms: the bus redelivers at once, the projector is the one that waits.
      expect(gaps[0]).toBeGreaterThanOrEqual(35);
      expect(gaps[2]).toBeGreaterThan(gaps[0]!);

      // The next wait is long now; stopping does not sit it out.
      const stopping = Date.now();
      await projector.stop();
      expect(Date.now() - stopping).toBeLessThan(2_000);

      down = false;
      projector = await start();
      await eventually(async () => expect((await readModel.get('a'))?.version).toBe(1), { timeoutMs: 10_000 });
      expect(await store.deadLetters({ limit: 10 })).toEqual([]);
    } finally {
      await projector.stop();
      await bus.close();
    }
  });
});

describe('the projector of a saga that is not an order', () => {
  it('checks each fact against that saga’s view spec: its own check, and the id and version the fact names', async () => {
    const store = await createSqlSagaStore(await freshPglite());
    const claims = createMemoryViewStore(claimViewSpec);
    const bus = createMemoryMessageBus({ partitions: 1 });
    const deadLetters: DeadLetterSink = { topic: 'dead-letters', record: async (letters) => void (await store.deadLetter(letters)) };
    const projector = await startProjector({ bus, projections: [{ topic: 'claim-events', store: claims, spec: claimViewSpec }], deadLetters });
    try {
      const facts = [
        fact('t1', { streamId: 't1', version: 2, view: claimOf('t1', 2) }),
        fact('not-a-claim', { streamId: 'not-a-claim', version: 1, view: viewOf('not-a-claim', 1) }),
        fact('other-id', { streamId: 'other-id', version: 1, view: claimOf('t9', 1) }),
        fact('other-version', { streamId: 'other-version', version: 3, view: claimOf('other-version', 2) }),
        fact('no-version', { streamId: 'no-version', version: 0, view: claimOf('no-version', 0) }),
      ];
      await bus.publish(facts.map((message) => ({ topic: 'claim-events', key: message.metadata.correlationId, message })));
      await eventually(async () => expect(await store.deadLetters({ limit: 10 })).toHaveLength(4), { timeoutMs: 10_000 });
      const letters = Object.fromEntries((await store.deadLetters({ limit: 10 })).map((d) => [d.streamId, [d.reason, d.error]]));
      expect(letters).toEqual({
        'not-a-claim': ['SCHEMA_VIOLATION', 'SagaViewUpdated: view: id: must be a string'],
        'other-id': ['SCHEMA_VIOLATION', 'SagaViewUpdated: the view must be of the stream and version it names'],
        'other-version': ['SCHEMA_VIOLATION', 'SagaViewUpdated: the view must be of the stream and version it names'],
        'no-version': ['SCHEMA_VIOLATION', 'SagaViewUpdated: version: must be a positive integer'],
      });
      expect(await claims.get('t1')).toStrictEqual(claimOf('t1', 2));
      expect((await claims.search({})).total).toBe(1);
    } finally {
      await projector.stop();
      await bus.close();
    }
  });
});

describe('the projector with a batch window', { timeout: 120_000 }, () => {
  /**
   * Publishes a saga's facts one by one, 50 ms apart, to a projector that is idle (it wrote another
   * saga's view already), and returns the versions the read model was asked to write.
   */
  async function project(batchWindowMs: number | undefined) {
    const store = await createSqlSagaStore(await freshPglite());
    const readModel = createMemoryOrderReadModel();
    const written: string[] = [];
    const counting = {
      ...readModel,
      async upsert(views: readonly VersionedView[]) {
        written.push(...views.map((v) => `${v.id}@${v.version}`));
        return readModel.upsert(views);
      },
    };
    const bus = createMemoryMessageBus({ partitions: 1 });
    const deadLetters: DeadLetterSink = { topic: 'dead-letters', record: async (letters) => void (await store.deadLetter(letters)) };
    const projector = await startProjector({ bus, projections: [{ topic: 'order-events', store: counting, spec: orderViewSpec }], deadLetters, batchWindowMs });
    try {
      const publish = (message: Message) => bus.publish([{ topic: 'order-events', key: message.metadata.correlationId, message }]);
      await publish(fact('other', { streamId: 'other', version: 1, view: viewOf('other', 1) }));
      await eventually(() => expect(written).toEqual(['other@1']), { timeoutMs: 10_000 });
      const facts = [
        fact('a', { streamId: 'a', version: 1, view: viewOf('a', 1) }),
        fact('a', { streamId: 'a', version: 2, view: viewOf('a', 2) }),
        fact('a', { streamId: 'a', version: 3, view: null }),
        fact('a', { streamId: 'a', version: 4, view: viewOf('a', 4) }),
      ];
      for (const message of facts) {
        await publish(message);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      await eventually(async () => expect((await readModel.get('a'))?.version).toBe(4), { timeoutMs: 10_000 });
      // The fact that is no view is dead-lettered, window or not.
      await eventually(async () => expect((await store.deadLetters({ limit: 10 })).map((d) => d.reason)).toEqual(['SCHEMA_VIOLATION']), { timeoutMs: 10_000 });
      return written.slice(1);
    } finally {
      await projector.stop();
      await bus.close();
    }
  }

  it("writes only the newest of a saga's views among the facts that arrived within the window", async () => {
    expect(await project(2_000)).toEqual(['a@4']);
  });

  it('writes every view as it comes without one', async () => {
    expect(await project(undefined)).toEqual(['a@1', 'a@2', 'a@4']);
  });
});

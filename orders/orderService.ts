import { createHash, randomUUID } from 'node:crypto';
import type { OrderSagaInput, SagaSettings } from '../machines/orderTypes.ts';
import { isoNow, type Clock } from '../runtime/clock.ts';
import { POISON_MESSAGE } from '../runtime/deadLetter.ts';
import { isXsagaError, XsagaError } from '../runtime/errors.ts';
import { createMessage, type Message } from '../runtime/message.ts';
import type { SagaDefinition } from '../runtime/sagaDefinition.ts';
import type { SagaRuntime } from '../runtime/sagaRuntime.ts';
import type { SagaStore, StoredEvent } from '../runtime/sagaStore.ts';
import type { TraceContext } from '../runtime/traceContext.ts';
import { ORDER_PLACED } from './orderSagaDefinition.ts';
import type { OrderQuery, OrderReadModel, OrderSearchResult } from './orderReadModel.ts';
import { orderView, type OrderView } from './orderView.ts';
import { orderTotal, type PlaceOrderRequest } from './placeOrderRequest.ts';

export type PlacedOrder = Readonly<{ orderId: string; version: number; status: 'PENDING'; replayed: boolean }>;

/** An order's view and where it was read: the read model, or the event store when the read model has not got it or cannot answer. */
export type SourcedView = Readonly<{ view: OrderView; source: 'read-model' | 'event-store' }>;

export type OrderService = Readonly<{
  /** `trace`: the context of the request's span, which the order's first event stores and its whole saga continues. */
  placeOrder(request: PlaceOrderRequest, idempotencyKey?: string, trace?: TraceContext): Promise<PlacedOrder>;
  /**
   * The read model's view, or, before the projection has caught up or while the read model is
   * unavailable, the view folded from the event store. With `minVersion`, waits (bounded) until the
   * read model reflects at least that version, or reads the store if the read model is unavailable.
   */
  getOrder(orderId: string, options?: { minVersion?: number }): Promise<SourcedView | undefined>;
  history(orderId: string): Promise<readonly StoredEvent[] | undefined>;
  search(query: OrderQuery): Promise<OrderSearchResult>;
}>;

const UNAVAILABLE = Symbol('read model unavailable');

const requestHash = (request: PlaceOrderRequest): string => createHash('sha256').update(JSON.stringify(request)).digest('hex');

/** The order system's command and query side, independent of HTTP. */
export function createOrderService(deps: {
  runtime: SagaRuntime;
  store: SagaStore;
  definition: SagaDefinition;
  readModel: OrderReadModel;
  clock: Clock;
  settings: SagaSettings;
  newId?: () => string;
  minVersionWaitMs?: number;
}): OrderService {
  const minVersionWaitMs = deps.minVersionWaitMs ?? 2000;
  const newId = deps.newId ?? randomUUID;

  async function replayedOrder(key: string, hash: string): Promise<PlacedOrder | undefined> {
    const existing = await deps.store.findIdempotencyKey(key);
    if (!existing) return undefined;
    if (existing.requestHash !== hash) {
      throw new XsagaError('IDEMPOTENCY_KEY_REUSED', 'This Idempotency-Key was already used for a different request', {
        fieldErrors: [{ field: 'Idempotency-Key', detail: 'was already used with a different body' }],
      });
    }
    return { orderId: existing.streamId, version: 1, status: 'PENDING', replayed: true };
  }

  /** The read model's view; `unavailable` when it cannot answer now, and the event store must. */
  async function projectedView(orderId: string): Promise<OrderView | undefined | typeof UNAVAILABLE> {
    try {
      return await deps.readModel.get(orderId);
    } catch (error) {
      if (isXsagaError(error, 'UNAVAILABLE') && error.retryable) return UNAVAILABLE;
      throw error;
    }
  }

  /** The view folded from the event store: the truth, at the cost of a load and a fold. */
  async function foldedView(orderId: string): Promise<OrderView | undefined> {
    const live = await deps.runtime.loadStored(orderId);
    if (!live) return undefined;
    const events = await deps.store.readStream(orderId, live.version);
    return orderView({
      context: live.snapshot.context,
      value: live.snapshot.value,
      version: live.version,
      updatedAt: events.at(-1)?.message.metadata.occurredAt ?? live.snapshot.context.order.placedAt,
    });
  }

  const versionMissing = (orderId: string, head: number, minVersion: number) =>
    new XsagaError('CONCURRENCY', `Order ${orderId} is at version ${head}; version ${minVersion} does not exist`, {
      fieldErrors: [{ field: 'minVersion', detail: `must be at most ${head}` }],
    });

  async function readOwnWrite(orderId: string, minVersion: number): Promise<SourcedView | undefined> {
    const deadline = Date.now() + minVersionWaitMs;
    for (let pause = 5, headChecked = false; ; pause = Math.min(pause * 2, 100)) {
      const projected = await projectedView(orderId);
      if (projected === UNAVAILABLE) {
        // The store has every version there is: waiting for a read model that is down would only end in a 503.
        const folded = await foldedView(orderId);
        if (folded && folded.version < minVersion) throw versionMissing(orderId, folded.version, minVersion);
        return folded && { view: folded, source: 'event-store' };
      }
      if (projected && projected.version >= minVersion) return { view: projected, source: 'read-model' };
      // A version past the stream's head is not worth waiting for: without this look at the store,
      // `minVersion=99` on a projected order held the request for the whole wait and ended in a 503.
      if (!projected || !headChecked) {
        headChecked = true;
        const head = (await deps.store.load(orderId))?.head;
        if (!head && !projected) return undefined;
        if (head && head.version < minVersion) throw versionMissing(orderId, head.version, minVersion);
      }
      // The whole wait is given: giving up a pause early made the bound a matter of luck.
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new XsagaError('TIMEOUT', `The read model has not reached version ${minVersion} of order ${orderId} within ${minVersionWaitMs} ms; retry, or read /orders/${orderId}/history`, {
          retryable: true,
        });
      }
      await new Promise((resolve) => setTimeout(resolve, Math.min(pause, left)));
    }
  }

  async function viewOf(orderId: string, minVersion: number | undefined): Promise<SourcedView | undefined> {
    if (minVersion !== undefined) return readOwnWrite(orderId, minVersion);
    const projected = await projectedView(orderId);
    if (projected && projected !== UNAVAILABLE) return { view: projected, source: 'read-model' };
    const folded = await foldedView(orderId);
    return folded && { view: folded, source: 'event-store' };
  }

  /** A message of the order that nobody could handle (dead-lettered, not replayed) needs a human too. */
  async function withPoisonAttention(view: OrderView): Promise<OrderView> {
    if (view.attention) return view;
    const [letter] = await deps.store.deadLetters({ streamId: view.orderId, unreplayed: true, limit: 1 });
    if (!letter) return view;
    return { ...view, attention: { reason: POISON_MESSAGE, since: letter.createdAt, attempts: letter.attempts, lastError: letter.error } };
  }

  return {
    async placeOrder(request, idempotencyKey, trace = {}) {
      const hash = requestHash(request);
      if (idempotencyKey) {
        const replayed = await replayedOrder(idempotencyKey, hash);
        if (replayed) return replayed;
      }
      const orderId = newId();
      const placedAt = isoNow(deps.clock);
      const input: OrderSagaInput = {
        order: { orderId, ...request, total: orderTotal(request.items), placedAt },
        settings: deps.settings,
      };
      const placed: Message = createMessage(ORDER_PLACED, input, { messageId: `${orderId}/placed`, correlationId: orderId, occurredAt: placedAt, ...trace });
      try {
        const started = await deps.runtime.start(deps.definition, placed, idempotencyKey ? { idempotencyKey: { key: idempotencyKey, requestHash: hash } } : {});
        return { orderId: started.streamId, version: started.version, status: 'PENDING', replayed: false };
      } catch (error) {
        // A concurrent request with the same key won the race: answer with its order.
        if (idempotencyKey && isXsagaError(error, 'IDEMPOTENCY_KEY_REUSED')) {
          const replayed = await replayedOrder(idempotencyKey, hash);
          if (replayed) return replayed;
        }
        throw error;
      }
    },

    async getOrder(orderId, options = {}) {
      const found = await viewOf(orderId, options.minVersion);
      return found && { view: await withPoisonAttention(found.view), source: found.source };
    },

    async history(orderId) {
      const events = await deps.store.readStream(orderId, 1);
      return events.length > 0 ? events : undefined;
    },

    search: (query) => deps.readModel.search(query),
  };
}

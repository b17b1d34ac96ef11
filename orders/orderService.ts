import { createHash, randomUUID } from 'node:crypto';
import type { OrderSagaV2Input } from '../machines/orderSagaV2Types.ts';
import { isoNow, type Clock } from '../runtime/clock.ts';
import { POISON_MESSAGE } from '../runtime/deadLetter.ts';
import { isXsagaError, XsagaError } from '../runtime/errors.ts';
import { createMessage, type Message } from '../runtime/message.ts';
import type { SagaDefinition } from '../runtime/sagaDefinition.ts';
import type { SagaRuntime } from '../runtime/sagaRuntime.ts';
import { createSagaViews, type SourcedView as SourcedSagaView } from '../runtime/sagaViews.ts';
import type { SagaStore, StoredEvent } from '../runtime/sagaStore.ts';
import type { TraceContext } from '../runtime/traceContext.ts';
import { ORDER_PLACED } from './orderSagaDefinition.ts';
import { orderViewQuery, type OrderQuery, type OrderReadModel, type OrderSearchResult } from './orderReadModel.ts';
import type { OrderView } from './orderView.ts';
import { orderTotal, type PlaceOrderRequest } from './placeOrderRequest.ts';

export type PlacedOrder = Readonly<{ orderId: string; version: number; status: 'PENDING'; replayed: boolean }>;

/** An order's view and where it was read: the read model, or the event store when the read model has not got it or cannot answer. */
export type SourcedView = SourcedSagaView<OrderView>;

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

const requestHash = (request: PlaceOrderRequest): string => createHash('sha256').update(JSON.stringify(request)).digest('hex');

/** The order system's command and query side, independent of HTTP. */
export function createOrderService(deps: {
  runtime: SagaRuntime;
  store: SagaStore;
  definition: SagaDefinition;
  readModel: OrderReadModel;
  clock: Clock;
  /** Pinned in every order's first event; the fraud settings are read by the versions that review. */
  settings: OrderSagaV2Input['settings'];
  newId?: () => string;
  minVersionWaitMs?: number;
}): OrderService {
  const newId = deps.newId ?? randomUUID;
  const views = createSagaViews({
    runtime: deps.runtime,
    store: deps.store,
    views: deps.readModel,
    noun: 'Order',
    historyPath: (orderId) => `/orders/${orderId}/history`,
    minVersionWaitMs: deps.minVersionWaitMs,
  });

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
      const input: OrderSagaV2Input = {
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
      const found = await views.getView(orderId, options);
      return found && { view: await withPoisonAttention(found.view), source: found.source };
    },

    history: (orderId) => views.history(orderId),

    search: (query) => deps.readModel.search(orderViewQuery(query)),
  };
}

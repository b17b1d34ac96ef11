import { XsagaError } from '../runtime/errors.ts';
import type { OrderStatus, OrderView } from './orderView.ts';

export type OrderQuery = Readonly<{
  customerId?: string;
  status?: OrderStatus;
  state?: string;
  sku?: string;
  /** Free text over the order id, customer and SKUs. */
  text?: string;
  /** Only orders that wait for a human (`attention` set), listed oldest first: the longest wait is the most urgent. */
  attention?: boolean;
  limit?: number;
  offset?: number;
}>;

export type OrderSearchResult = Readonly<{ total: number; items: readonly OrderView[] }>;

/** A view document and the stream version it reflects. */
export type VersionedView = Readonly<{ id: string; version: number; view: OrderView }>;

/** The sagas in one statechart state: how many, and when the one that moved longest ago last moved. */
export type StateStats = Readonly<{ state: string; count: number; oldestUpdatedAt: string }>;

/**
 * The read model port (CQRS query side). `upsert` keeps, per order, the document of the highest
 * version it has seen: replays and reordering can never move a document back.
 */
export interface OrderReadModel {
  upsert(views: readonly VersionedView[]): Promise<void>;
  get(orderId: string): Promise<OrderView | undefined>;
  search(query: OrderQuery): Promise<OrderSearchResult>;
  countByStatus(): Promise<Record<OrderStatus, number>>;
  countByState(): Promise<Record<string, number>>;
  /** Per state, sorted by state name: what the dashboard shows on each node of the statechart. */
  statsByState(): Promise<readonly StateStats[]>;
  /** Resolves when the read model can serve reads; rejects with why not (readiness). */
  ping(): Promise<void>;
  /**
   * Fills a fresh copy of the read model with `fill`, then serves it in place of the current one
   * without downtime. Absent where the read model is rebuilt differently (the in-process one, at start).
   */
  rebuild?(fill: (target: OrderReadModel) => Promise<void>): Promise<{ index: string; previous: string[] }>;
  close(): Promise<void>;
}

/**
 * The read model cannot answer now (unreachable, too slow, not recovered): retryable, and the
 * caller reads the event store instead or answers 503. Adapters throw it for their transient failures.
 */
export const readModelUnavailable = (what: string, cause?: unknown): XsagaError =>
  new XsagaError('UNAVAILABLE', `The read model is unavailable (${what})`, { retryable: true, cause });

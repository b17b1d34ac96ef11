import type { OrderStatus, OrderView } from './orderView.ts';

export type OrderQuery = Readonly<{
  customerId?: string;
  status?: OrderStatus;
  state?: string;
  sku?: string;
  /** Free text over the order id, customer and SKUs. */
  text?: string;
  limit?: number;
  offset?: number;
}>;

export type OrderSearchResult = Readonly<{ total: number; items: readonly OrderView[] }>;

/** A view document and the stream version it reflects. */
export type VersionedView = Readonly<{ id: string; version: number; view: OrderView }>;

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
  close(): Promise<void>;
}

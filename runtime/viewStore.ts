import { XsagaError } from './errors.ts';

/** The type of the fact a saga publishes to its facts topic after each step it commits. */
export const SAGA_VIEW_UPDATED = 'SagaViewUpdated';

/** The data of a `SagaViewUpdated` fact: the saga's whole view at a version, so that applying it needs no old document. */
export type SagaViewFact<TView> = Readonly<{ streamId: string; version: number; view: TView }>;

/** What every saga's view holds, whatever else it shows: what the dashboard, the admin routes and the metrics read. */
export type SagaViewBase = Readonly<{
  /** The statechart state, dotted (`payment.capturing`, `compensating.refundingPayment.parked`). */
  state: string;
  /** The saga's outcome in the words of its domain (`PENDING`, `COMPLETED`, `FAILED` for an order). */
  status: string;
  /** The version of the saga's stream this view reflects. */
  version: number;
  /** When the saga last moved (ISO 8601, UTC): the time of the last event the view reflects. */
  updatedAt: string;
}>;

/** A view document and the stream version it reflects. */
export type VersionedView<TView> = Readonly<{ id: string; version: number; view: TView }>;

/**
 * A search over one saga's views; every filter given must hold. Paths are dotted and reach into
 * arrays: `where: { 'items.sku': 'SKU-1' }` finds the views with an item of that SKU.
 */
export type ViewQuery = Readonly<{
  state?: string;
  status?: string;
  /** Whole words in any order, or the start of a word as typed, over the spec's `textFields`. */
  text?: string;
  /** Exact values of keyword fields. */
  where?: Readonly<Record<string, string>>;
  /** Only views where this field holds a value (not null). */
  exists?: string;
  /** Only views where this field holds no value (null or absent). */
  missing?: string;
  /** `newest` (default): by the spec's `newestField`, newest first; `oldestUpdate`: the view that moved longest ago first. Ties go by id. */
  sort?: 'newest' | 'oldestUpdate';
  /** 20 when absent. */
  limit?: number;
  offset?: number;
}>;

export type ViewSearchResult<TView> = Readonly<{ total: number; items: readonly TView[] }>;

/** The sagas in one statechart state: how many, and when the one that moved longest ago last moved. */
export type StateStats = Readonly<{ state: string; count: number; oldestUpdatedAt: string }>;

/**
 * A field a store counts views by: a top-level keyword of the spec's mapping that takes a handful
 * of values (`state`, `status`, `machineVersion`…); `countableField` refuses any other.
 */
export type CountedField = string;

/** The field, if the spec's mapping declares it a top-level keyword; a VALIDATION error otherwise. */
export function countableField(spec: Pick<SagaViewSpec<SagaViewBase>, 'name' | 'mappings'>, field: string): CountedField {
  if (spec.mappings.properties[field]?.type === 'keyword') return field;
  throw new XsagaError('VALIDATION', `The ${spec.name} views have no keyword field ${field} to count by`);
}

/**
 * The view store port (CQRS query side), one per saga type. `upsert` keeps, per saga, the document
 * of the highest version it has seen: replays and reordering can never move a document back.
 */
export interface SagaViewStore<TView extends SagaViewBase> {
  upsert(views: readonly VersionedView<TView>[]): Promise<void>;
  get(id: string): Promise<TView | undefined>;
  search(query: ViewQuery): Promise<ViewSearchResult<TView>>;
  countBy(field: CountedField): Promise<Record<string, number>>;
  /** Per state, sorted by state name: what the dashboard shows on each node of the statechart. */
  statsByState(): Promise<readonly StateStats[]>;
  /** The saga id of a view this store holds (its spec's `idOf`): what lists of views are acted on by. */
  idOf(view: TView): string;
  /** Resolves when the store can serve reads; rejects with why not (readiness). */
  ping(): Promise<void>;
  /**
   * Fills a fresh copy of the store with `fill`, then serves it in place of the current one
   * without downtime. Absent where the store is rebuilt differently (the in-process one, at start).
   */
  rebuild?(fill: (target: SagaViewStore<TView>) => Promise<void>): Promise<{ index: string; previous: string[] }>;
  close(): Promise<void>;
}

/** How an index maps a view's fields; plain data, in Elasticsearch's terms, so that no saga imports a client. */
export type FieldMapping = Readonly<{ type?: string; properties?: Readonly<Record<string, FieldMapping>>; [setting: string]: unknown }>;
export type ViewMappings = Readonly<{ dynamic?: 'strict' | boolean; properties: Readonly<Record<string, FieldMapping>> }>;

/**
 * What a saga tells the projection about its view: how to check a fact's view, where its id is,
 * how an index maps it and what free text and "newest" mean for it. The projector, the stores and
 * the rebuild are the same for every saga; this is what varies.
 *
 * @example
 * const returnViewSpec: SagaViewSpec<ReturnView> = {
 *   name: 'returns', check: checkReturnView, idOf: (view) => view.returnId, idField: 'returnId',
 *   mappings: { dynamic: 'strict', properties: { returnId: { type: 'keyword' }, ... } },
 *   textFields: ['returnId', 'orderId'], newestField: 'requestedAt',
 * };
 */
export type SagaViewSpec<TView extends SagaViewBase> = Readonly<{
  /** The saga's views by name: the alias of its index (`orders`, `returns`). */
  name: string;
  /** What is wrong with the view a fact carries, or undefined when it is one (the projector dead-letters the others). */
  check(view: unknown): string | undefined;
  idOf(view: TView): string;
  /** The keyword field that holds `idOf`'s value: an index breaks ties of its sorts on it. */
  idField: string;
  /** The index mapping of a view's document; a store adds the fields it keeps for search itself. */
  mappings: ViewMappings;
  /** The document an index stores for a view, when it must differ from the view; `fromDocument` undoes it. */
  toDocument?(view: TView): Readonly<Record<string, unknown>>;
  fromDocument?(document: Readonly<Record<string, unknown>>): TView;
  /** The fields (dotted paths) whose values free-text search reads. */
  textFields: readonly string[];
  /** The date field "newest first" sorts by (e.g. when the saga began). */
  newestField: string;
}>;

/**
 * The view store cannot answer now (unreachable, too slow, not recovered): retryable, and the
 * caller reads the event store instead or answers 503. Adapters throw it for their transient failures.
 */
export const readModelUnavailable = (what: string, cause?: unknown): XsagaError =>
  new XsagaError('UNAVAILABLE', `The read model is unavailable (${what})`, { retryable: true, cause });

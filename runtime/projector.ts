import { isoNow, systemClock } from './clock.ts';
import { deadLetterOf, type DeadLetter, type DeadLetterReason, type DeadLetterSink } from './deadLetter.ts';
import { isXsagaError, XsagaError } from './errors.ts';
import { silentLogger, type Logger } from './logger.ts';
import { envelopeProblem, type Message } from './message.ts';
import { endSpans, startMessageSpan } from './messageSpan.ts';
import { wakeableSleep } from './sleep.ts';
import { UNDECODABLE, type MessageBus, type Subscription, type UndecodableData } from './messageBus.ts';
import { SAGA_VIEW_UPDATED, type SagaViewBase, type SagaViewFact, type SagaViewSpec, type SagaViewStore, type VersionedView } from './viewStore.ts';

const isPositiveInteger = (value: unknown): value is number => typeof value === 'number' && Number.isInteger(value) && value > 0;

/**
 * What is wrong with a fact for the store of `spec`, or undefined when its view is one of that
 * saga's, of the stream and at the version the fact names.
 */
function factProblem<TView extends SagaViewBase>(spec: SagaViewSpec<TView>, data: unknown): string | undefined {
  if (data === null || typeof data !== 'object') return 'the data must be an object { streamId, version, view }';
  const { streamId, version, view } = data as Partial<SagaViewFact<unknown>>;
  if (typeof streamId !== 'string' || streamId === '') return 'streamId: must be a non-empty string';
  if (!isPositiveInteger(version)) return 'version: must be a positive integer';
  const problem = spec.check(view);
  if (problem !== undefined) return `view: ${problem}`;
  if (spec.idOf(view as TView) !== streamId || (view as TView).version !== version) return 'the view must be of the stream and version it names';
  return undefined;
}

/** The read model refused documents for what they hold (a mapping conflict), not for being unreachable. */
const refusedByReadModel = (error: unknown): boolean => isXsagaError(error, 'UNAVAILABLE') && !error.retryable;

export const PROJECTOR = 'projector';

/** The instrumentation scope of the projector's spans. */
export const PROJECTOR_TRACER = 'xsaga.projector';

/** How long the projector waits before it hands a batch back, while the read model stays down. */
export type OutageBackoff = Readonly<{ baseMs: number; maxMs: number }>;

/** Below a Kafka session timeout (30 s), so that a waiting projector is not taken for a dead one. */
const DEFAULT_OUTAGE_BACKOFF: OutageBackoff = { baseMs: 250, maxMs: 5_000 };

/** One saga's projection: its facts topic, its view store and its view's spec. */
export type Projection<TView extends SagaViewBase> = Readonly<{
  topic: string;
  store: SagaViewStore<TView>;
  /** The saga's view: how a fact's view is checked, and whose id it is. */
  spec: SagaViewSpec<TView>;
}>;

/**
 * Keeps each saga's view store up to date from its facts topic, one consumer for every saga: each
 * fact carries the whole view at a version, so applying facts is idempotent and order-safe without
 * reading the old document. A fact that is no view of its topic's spec, or whose view the store
 * refuses, is dead-lettered; the others are written (a refused batch is split down to the view at fault).
 *
 * @example
 * const projector = await startProjector({ bus, projections: [{ topic: 'order-events', store: readModel, spec: orderViewSpec }], deadLetters });
 */
export async function startProjector(options: {
  bus: MessageBus;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- each projection has a view type of its own
  projections: readonly Projection<any>[];
  group?: string;
  /** Where the facts it cannot project go; without one, such a fact fails its batch and the bus delivers it again. */
  deadLetters?: DeadLetterSink;
  /** The wait doubles with each batch the read model fails in a row, and starts over once one is written. */
  outageBackoff?: OutageBackoff;
  /**
   * How long a batch of facts may wait for more to join it (the bus's `batchWindowMs`): a saga's
   * facts that arrive within it are one document written, not one each, and each view reaches the
   * read model up to that much later. Unset or 0, every batch is written as soon as it arrives.
   */
  batchWindowMs?: number;
  logger?: Logger;
}): Promise<Subscription> {
  const backoff = options.outageBackoff ?? DEFAULT_OUTAGE_BACKOFF;
  const logger = options.logger ?? silentLogger;
  let stopping = false;
  let waiting: ReturnType<typeof wakeableSleep> | undefined;
  let failuresInARow = 0;

  /**
   * A read model that is down is an outage, not a poison message: nothing is dead-lettered, the
   * batch goes back to the bus after a wait that grows, so the projector neither spins nor gives up,
   * and it catches up from its last committed offset once the read model answers.
   */
  async function waitOutOutage(error: unknown): Promise<never> {
    failuresInARow += 1;
    const waitMs = Math.min(backoff.maxMs, backoff.baseMs * 2 ** (failuresInARow - 1));
    if (failuresInARow === 1 || waitMs === backoff.maxMs) {
      logger.warn({ failuresInARow, waitMs, err: error }, `projector: the read model failed ${failuresInARow} batch(es) in a row, retrying in ${waitMs} ms`);
    }
    if (!stopping) {
      waiting = wakeableSleep(waitMs);
      await waiting.done;
      waiting = undefined;
    }
    throw error;
  }

  const letterOptions = { consumer: PROJECTOR, topic: options.deadLetters?.topic ?? '', markApplied: false, now: () => isoNow(systemClock) };
  const letterOf = (message: unknown, reason: DeadLetterReason, error: unknown) => deadLetterOf({ message, reason, error, attempts: 1 }, letterOptions);

  async function upsertIsolating<TView extends SagaViewBase>(store: SagaViewStore<TView>, views: readonly { view: VersionedView<TView>; cause: Message }[], letters: DeadLetter[]): Promise<void> {
    try {
      await store.upsert(views.map((v) => v.view));
    } catch (error) {
      if (!refusedByReadModel(error)) throw error;
      if (views.length === 1) return void letters.push(letterOf(views[0]!.cause, 'READ_MODEL_REJECTED', error));
      const half = Math.ceil(views.length / 2);
      await upsertIsolating(store, views.slice(0, half), letters);
      await upsertIsolating(store, views.slice(half), letters);
    }
  }

  const projectionOf = new Map(options.projections.map((projection) => [projection.topic, projection]));
  const subscription = await options.bus.subscribe({
    group: options.group ?? 'xsaga-projector',
    topics: [...projectionOf.keys()],
    maxBatchSize: 2000,
    batchWindowMs: options.batchWindowMs,
    handler: async ({ topic, messages }) => {
      const projection = projectionOf.get(topic);
      if (!projection) throw new XsagaError('CONFIG', `the projector has no projection for ${topic}`);
      const { store, spec } = projection;
      const letters: DeadLetter[] = [];
      const latest = new Map<string, { view: VersionedView<SagaViewBase>; cause: Message }>();
      for (const message of messages) {
        if (message?.type === UNDECODABLE && envelopeProblem(message) === undefined) {
          letters.push(letterOf(message, 'UNDECODABLE', (message.data as UndecodableData).error));
          continue;
        }
        const envelope = envelopeProblem(message);
        if (envelope !== undefined) {
          letters.push(letterOf(message, 'MALFORMED', envelope));
          continue;
        }
        if (message.type !== SAGA_VIEW_UPDATED) continue;
        const problem = factProblem(spec, message.data);
        if (problem !== undefined) {
          letters.push(letterOf(message, 'SCHEMA_VIOLATION', `${SAGA_VIEW_UPDATED}: ${problem}`));
          continue;
        }
        const { streamId, version: at, view } = message.data as SagaViewFact<SagaViewBase>;
        const seen = latest.get(streamId);
        if (!seen || seen.view.version < at) latest.set(streamId, { view: { id: streamId, version: at, view }, cause: message });
      }
      if (latest.size > 0) {
        // One span per view written, in the trace of the transition that made it; a view superseded within the batch is not written.
        const spans = [...latest.values()].map(({ view, cause }) =>
          startMessageSpan(PROJECTOR_TRACER, `${PROJECTOR} ${cause.type}`, cause, { 'xsaga.stream.version': view.version, 'xsaga.state.after': view.view.state }).span,
        );
        try {
          await upsertIsolating(store, [...latest.values()], letters).catch(waitOutOutage);
        } catch (error) {
          endSpans(spans, error);
          throw error;
        }
        endSpans(spans);
      }
      failuresInARow = 0;
      if (letters.length === 0) return;
      if (!options.deadLetters) throw new XsagaError('CONFIG', `the projector cannot project ${letters.length} fact(s) and has nowhere to put them: ${letters[0]!.error}`);
      await options.deadLetters.record(letters);
    },
  });
  return {
    async stop() {
      // A batch waiting out an outage is handed back at once: stopping must not wait for the read model.
      stopping = true;
      waiting?.wake();
      await subscription.stop();
    },
  };
}

import { z } from 'zod';
import { isoNow, systemClock } from '../runtime/clock.ts';
import { deadLetterOf, type DeadLetter, type DeadLetterReason, type DeadLetterSink } from '../runtime/deadLetter.ts';
import { isXsagaError, XsagaError } from '../runtime/errors.ts';
import { silentLogger, type Logger } from '../runtime/logger.ts';
import { envelopeProblem, type Message } from '../runtime/message.ts';
import { endSpans, startMessageSpan } from '../runtime/messageSpan.ts';
import { wakeableSleep } from '../runtime/sleep.ts';
import { UNDECODABLE, type MessageBus, type Subscription, type UndecodableData } from '../runtime/messageBus.ts';
import type { OrderReadModel, VersionedView } from './orderReadModel.ts';
import { checkWith, minorUnits, orderItem, text } from './orderSchemas.ts';
import type { OrderView } from './orderView.ts';

type SagaViewUpdated = { streamId: string; version: number; view: OrderView };

const version = z.number().int().positive();

/** A view fact as the read model indexes it: the order's view at the version the fact names. */
const checkViewFact = checkWith(
  z
    .object({
      streamId: text,
      version,
      view: z.object({
        orderId: text,
        customerId: text,
        status: z.enum(['PENDING', 'COMPLETED', 'FAILED']),
        state: text,
        failureReason: z.string().nullable(),
        total: minorUnits,
        currency: text,
        items: z.array(orderItem),
        steps: z.array(z.object({ step: text, action: text })),
        attempts: z.record(z.string(), z.number().int().nonnegative()),
        version,
        placedAt: text,
        updatedAt: z.string(),
      }),
    })
    .refine((fact) => fact.view.orderId === fact.streamId && fact.view.version === fact.version, 'the view must be of the stream and version it names'),
);

/** The read model refused documents for what they hold (a mapping conflict), not for being unreachable. */
const refusedByReadModel = (error: unknown): boolean => isXsagaError(error, 'UNAVAILABLE') && !error.retryable;

export const PROJECTOR = 'projector';

/** The instrumentation scope of the projector's spans. */
export const PROJECTOR_TRACER = 'xsaga.projector';

/** How long the projector waits before it hands a batch back, while the read model stays down. */
export type OutageBackoff = Readonly<{ baseMs: number; maxMs: number }>;

/** Below a Kafka session timeout (30 s), so that a waiting projector is not taken for a dead one. */
const DEFAULT_OUTAGE_BACKOFF: OutageBackoff = { baseMs: 250, maxMs: 5_000 };

/**
 * Keeps the read model up to date from `order-events`: each fact carries the whole view at a
 * version, so applying facts is idempotent and order-safe without reading the old document. A
 * fact that is no view, or whose view the read model refuses, is dead-lettered; the others are
 * written (a refused batch is split down to the view at fault).
 */
export async function startProjector(options: {
  bus: MessageBus;
  topic: string;
  readModel: OrderReadModel;
  group?: string;
  /** Where the facts it cannot project go; without one, such a fact fails its batch and the bus delivers it again. */
  deadLetters?: DeadLetterSink;
  /** The wait doubles with each batch the read model fails in a row, and starts over once one is written. */
  outageBackoff?: OutageBackoff;
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

  async function upsertIsolating(views: readonly { view: VersionedView; cause: Message }[], letters: DeadLetter[]): Promise<void> {
    try {
      await options.readModel.upsert(views.map((v) => v.view));
    } catch (error) {
      if (!refusedByReadModel(error)) throw error;
      if (views.length === 1) return void letters.push(letterOf(views[0]!.cause, 'READ_MODEL_REJECTED', error));
      const half = Math.ceil(views.length / 2);
      await upsertIsolating(views.slice(0, half), letters);
      await upsertIsolating(views.slice(half), letters);
    }
  }

  const subscription = await options.bus.subscribe({
    group: options.group ?? 'xsaga-projector',
    topics: [options.topic],
    maxBatchSize: 2000,
    handler: async ({ messages }) => {
      const letters: DeadLetter[] = [];
      const latest = new Map<string, { view: VersionedView; cause: Message }>();
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
        if (message.type !== 'SagaViewUpdated') continue;
        const problem = checkViewFact(message.data);
        if (problem !== undefined) {
          letters.push(letterOf(message, 'SCHEMA_VIOLATION', `SagaViewUpdated: ${problem}`));
          continue;
        }
        const { streamId, version: at, view } = message.data as SagaViewUpdated;
        const seen = latest.get(streamId);
        if (!seen || seen.view.version < at) latest.set(streamId, { view: { id: streamId, version: at, view }, cause: message });
      }
      if (latest.size > 0) {
        // One span per view written, in the trace of the transition that made it; a view superseded within the batch is not written.
        const spans = [...latest.values()].map(({ view, cause }) =>
          startMessageSpan(PROJECTOR_TRACER, `${PROJECTOR} ${cause.type}`, cause, { 'xsaga.stream.version': view.version, 'xsaga.state.after': view.view.state }).span,
        );
        try {
          await upsertIsolating([...latest.values()], letters).catch(waitOutOutage);
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

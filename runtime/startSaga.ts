import { createHash } from 'node:crypto';
import { isXsagaError, XsagaError } from './errors.ts';
import type { Message } from './message.ts';
import type { SagaDefinition } from './sagaDefinition.ts';
import type { SagaRuntime } from './sagaRuntime.ts';
import type { SagaStore } from './sagaStore.ts';

/** A saga started, or the one an earlier request with the same Idempotency-Key started. */
export type StartedSaga = Readonly<{ streamId: string; version: number; replayed: boolean }>;

/** What makes two requests "the same": the hash of the request as the client sent it, after validation. */
export const requestHashOf = (request: unknown): string => createHash('sha256').update(JSON.stringify(request)).digest('hex');

/**
 * Starts sagas the way every HTTP command does: a request repeated with its Idempotency-Key answers
 * with the saga the first one started (version 1, `replayed`), and the key reused with another
 * request is refused, also when two such requests race (the store keeps the key unique).
 */
export function createSagaStarter(deps: { runtime: SagaRuntime; store: SagaStore }) {
  async function replayed(key: string, requestHash: string): Promise<StartedSaga | undefined> {
    const existing = await deps.store.findIdempotencyKey(key);
    if (!existing) return undefined;
    if (existing.requestHash !== requestHash) {
      throw new XsagaError('IDEMPOTENCY_KEY_REUSED', 'This Idempotency-Key was already used for a different request', {
        fieldErrors: [{ field: 'Idempotency-Key', detail: 'was already used with a different body' }],
      });
    }
    return { streamId: existing.streamId, version: 1, replayed: true };
  }

  return {
    /** The saga an earlier request with this key started, if any; refuses the key reused with another request. */
    replayed,
    /**
     * Starts a saga of `definition` from `startMessage` (built by `build` only when the key has not
     * started one yet, so that a replayed request makes no new id).
     */
    async start(definition: SagaDefinition, build: () => Message | Promise<Message>, idempotency?: Readonly<{ key: string; requestHash: string }>): Promise<StartedSaga> {
      if (idempotency) {
        const earlier = await replayed(idempotency.key, idempotency.requestHash);
        if (earlier) return earlier;
      }
      try {
        const started = await deps.runtime.start(definition, await build(), idempotency ? { idempotencyKey: idempotency } : {});
        return { ...started, replayed: false };
      } catch (error) {
        // A concurrent request with the same key won the race: answer with its saga.
        if (idempotency && isXsagaError(error, 'IDEMPOTENCY_KEY_REUSED')) {
          const earlier = await replayed(idempotency.key, idempotency.requestHash);
          if (earlier) return earlier;
        }
        throw error;
      }
    },
  };
}

export type SagaStarter = ReturnType<typeof createSagaStarter>;

import { Router } from 'express';
import type { Envelope, Message } from '../../runtime/message.ts';
import type { SagaStore } from '../../runtime/sagaStore.ts';
import { sendProblem } from '../problem.ts';
import { validateRequest } from '../validateRequest.ts';
import { deadLetterParams, deadLetterQuery } from './deadLetterAdminContract.ts';

export type DeadLetterAdminDeps = Readonly<{
  store: SagaStore;
  /** Where a consumer reads what it dead-lettered (the inbox, a participant's command topic, the facts of the saga's machine); undefined for one it does not know. */
  topicOf(consumer: string, streamId: string): Promise<string | undefined>;
  publish(envelopes: readonly Envelope[]): Promise<void>;
}>;

const isMessage = (value: unknown): value is Message => {
  const metadata = (value as { metadata?: Record<string, unknown> } | null)?.metadata;
  return typeof (value as { type?: unknown } | null)?.type === 'string' && typeof metadata?.messageId === 'string' && typeof metadata.correlationId === 'string';
};

/**
 * Dead letters under `/admin`: listed (newest first), and replayed once their cause is fixed. A
 * replay re-sends the message to the consumer that refused it under a new id derived from the dead
 * letter (`replay/<id>`), since the original id counts as applied; a second replay of the same dead
 * letter is the same message, dropped as a duplicate, and is refused here anyway.
 * `deadLetterAdminContract.ts` documents the routes.
 */
export function deadLetterAdminRouter(deps: DeadLetterAdminDeps): Router {
  const router = Router();

  router.get('/dead-letters', async (req, res) => {
    const { streamId, unreplayed, limit } = validateRequest(deadLetterQuery, req.query);
    res.json({ items: await deps.store.deadLetters({ streamId, unreplayed: unreplayed === true, limit }) });
  });

  router.post('/dead-letters/:id/replay', async (req, res) => {
    const { id } = validateRequest(deadLetterParams, req.params);
    const [letter] = await deps.store.deadLetters({ id, limit: 1 });
    const refuse = (status: number, detail: string) => sendProblem(res, { status, detail, instance: req.originalUrl });
    if (!letter) return refuse(404, `No dead letter ${id}.`);
    if (letter.replayedAt !== null) return refuse(409, `Dead letter ${id} was replayed at ${letter.replayedAt}.`);
    const topic = await deps.topicOf(letter.consumer, letter.streamId);
    if (!topic) return refuse(409, `No consumer ${letter.consumer} here to replay dead letter ${id} to.`);
    if (!isMessage(letter.message)) return refuse(409, `Dead letter ${id} (${letter.reason}) holds no message that can be sent again.`);
    const message: Message = { ...letter.message, metadata: { ...letter.message.metadata, messageId: `replay/${letter.id}` } };
    await deps.publish([{ topic, key: message.metadata.correlationId, message }]);
    await deps.store.markDeadLettersReplayed([letter.id]);
    res.status(202).json({ deadLetterId: letter.id, streamId: letter.streamId, consumer: letter.consumer, replayedAs: message.metadata.messageId });
  });

  return router;
}

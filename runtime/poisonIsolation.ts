import type { DeadLetter, DeadLetterReason } from './deadLetter.ts';
import { isRejectedData } from './failures.ts';
import type { Logger } from './logger.ts';
import { LruCache } from './lruCache.ts';
import type { Message } from './message.ts';

/** A message held back because its saga could not be loaded: it is tried again, a few times. */
export type Held = Readonly<{ message: Message; reason: DeadLetterReason; error: unknown; machine: string }>;

export type PoisonIsolationOptions = Readonly<{
  /** Handles a batch in one commit, dead-lettering what is no fact of its saga; resolves to the messages held back. */
  process(messages: readonly Message[]): Promise<Held[]>;
  /** Commits dead letters on their own. */
  commitLetters(letters: readonly DeadLetter[]): Promise<void>;
  letterOf(message: Message, reason: DeadLetterReason, error: unknown, attempts: number, machine: string | undefined): DeadLetter;
  /** The machine of a message's saga, when known. */
  machineOf(message: Message): string | undefined;
  /** Attempts at a held message before it is dead-lettered. */
  attempts: number;
  /** The wait before the n-th retry of held messages is n times this. */
  retryDelayMs: number;
  logger: Logger;
}>;

/**
 * Makes one message's trouble its own. A batch whose commit the store refuses for a value one of
 * its messages brought is split in halves, each committed on its own, down to the message at
 * fault, which is dead-lettered (it would be refused every time); a message whose saga cannot be
 * loaded is tried `attempts` times, after the rest of its batch committed, then dead-lettered.
 * Any other failure of the store is not a message's fault and rejects, for the bus to redeliver.
 */
export function createPoisonIsolation(options: PoisonIsolationOptions): (messages: readonly Message[]) => Promise<void> {
  const { process, commitLetters, letterOf, logger } = options;
  const attempts = Math.max(1, options.attempts);
  /** Failed attempts of held messages by message id; bounded, and forgotten once a message is handled or dead-lettered. */
  const failures = new LruCache<string, number>(10_000);

  /** Commits what it can; the messages the store refuses on their own are collected in `refused`. */
  async function isolating(messages: readonly Message[], refused: { message: Message; error: unknown }[]): Promise<Held[]> {
    try {
      return await process(messages);
    } catch (error) {
      if (!isRejectedData(error)) throw error;
      if (messages.length === 1) {
        refused.push({ message: messages[0]!, error });
        return [];
      }
      const half = Math.ceil(messages.length / 2);
      return [...(await isolating(messages.slice(0, half), refused)), ...(await isolating(messages.slice(half), refused))];
    }
  }

  /** The batch, then the dead letters of the messages the store refused: every other message commits before them. */
  async function handleOnce(messages: readonly Message[]): Promise<Held[]> {
    const refused: { message: Message; error: unknown }[] = [];
    const held = await isolating(messages, refused);
    if (refused.length > 0) await commitLetters(refused.map(({ message, error }) => letterOf(message, 'STORE_REJECTED', error, 1, options.machineOf(message))));
    return held;
  }

  return async (messages) => {
    let held = await handleOnce(messages);
    for (let round = 1; held.length > 0; round++) {
      const due: DeadLetter[] = [];
      const again: Message[] = [];
      for (const { message, reason, error, machine } of held) {
        const key = message.metadata.messageId;
        const tries = (failures.get(key) ?? 0) + 1;
        if (tries >= attempts) {
          due.push(letterOf(message, reason, error, tries, machine));
          failures.delete(key);
        } else {
          failures.set(key, tries);
          again.push(message);
        }
      }
      if (due.length > 0) await commitLetters(due);
      if (again.length === 0) return;
      logger.warn({ messages: again.length, attempt: round + 1, attempts, machine: held[0]!.machine, err: held[0]!.error }, 'retrying messages whose saga could not be loaded');
      await new Promise((resolve) => setTimeout(resolve, options.retryDelayMs * round));
      held = await handleOnce(again);
      const still = new Set(held.map((h) => h.message));
      for (const message of again) if (!still.has(message)) failures.delete(message.metadata.messageId);
    }
  };
}

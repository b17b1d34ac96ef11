/**
 * Collects writes that arrive while a commit is running and commits them together: under load, many
 * concurrent requests share one transaction. The first commit waits for the end of the event loop's
 * current turn, so the requests that arrived together join it too. If a shared commit fails, each
 * write is committed alone so that one bad write (a reused idempotency key) fails only its own caller.
 */
export function createGroupCommit<T>(commit: (items: readonly T[]) => Promise<void>, maxBatch = 500): (item: T) => Promise<void> {
  type Waiting = { item: T; resolve: () => void; reject: (error: unknown) => void };
  const queue: Waiting[] = [];
  let running = false;

  /** Started by the first write while none runs, which marks it running. */
  async function drain(): Promise<void> {
    try {
      while (queue.length > 0) {
        const batch = queue.splice(0, maxBatch);
        try {
          await commit(batch.map((w) => w.item));
          for (const w of batch) w.resolve();
        } catch (error) {
          if (batch.length === 1) {
            batch[0]!.reject(error);
            continue;
          }
          for (const w of batch) {
            await commit([w.item]).then(w.resolve, w.reject);
          }
        }
      }
    } finally {
      running = false;
    }
  }

  return (item) =>
    new Promise<void>((resolve, reject) => {
      queue.push({ item, resolve, reject });
      if (!running) {
        running = true;
        setImmediate(() => void drain());
      }
    });
}

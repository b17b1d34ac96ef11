import pg from 'pg';

export type Leadership = Readonly<{ stop(): Promise<void> }>;

/**
 * Runs `lead` in exactly one process at a time: the holder of a PostgreSQL session advisory lock.
 * If the holder's connection dies, PostgreSQL releases the lock and a standby takes over within
 * `retryMs`. Used for the outbox relay and the timer scheduler, whose order matters.
 */
export function startLeaderElection(options: {
  connectionString: string;
  lockKey: number;
  lead: () => Promise<() => Promise<void>>;
  retryMs?: number;
  log?: (message: string) => void;
}): Leadership {
  const retryMs = options.retryMs ?? 1000;
  const log = options.log ?? (() => undefined);
  let running = true;
  let client: pg.Client | undefined;
  let stopLeading: (() => Promise<void>) | undefined;
  let lost: () => void = () => undefined;

  const loop = (async () => {
    while (running) {
      try {
        client = new pg.Client({ connectionString: options.connectionString });
        const connectionLost = new Promise<void>((resolve) => {
          lost = resolve;
          client!.on('error', () => resolve());
          client!.on('end', () => resolve());
        });
        await client.connect();
        while (running) {
          const result = await client.query<{ locked: boolean }>('select pg_try_advisory_lock($1) as locked', [options.lockKey]);
          if (result.rows[0]?.locked) break;
          await Promise.race([new Promise((resolve) => setTimeout(resolve, retryMs)), connectionLost]);
        }
        if (!running) break;
        stopLeading = await options.lead();
        await connectionLost;
        log(`leadership ${options.lockKey} lost with its connection`);
      } catch (error) {
        log(`leader election ${options.lockKey}: ${(error as Error).message}`);
      }
      const stop = stopLeading;
      stopLeading = undefined;
      await stop?.();
      await client?.end().catch(() => undefined);
      if (running) await new Promise((resolve) => setTimeout(resolve, retryMs));
    }
  })();

  return {
    async stop() {
      running = false;
      lost();
      await client?.end().catch(() => undefined);
      await loop;
    },
  };
}

import pg from 'pg';
import { silentLogger, type Logger } from '../../runtime/logger.ts';

export type Leadership = Readonly<{ stop(): Promise<void> }>;

/**
 * Runs `lead` in exactly one process at a time: the holder of a PostgreSQL session advisory lock.
 * If the holder's connection dies (a server restart ends every session, and with it the lock), the
 * holder stops leading before it tries for the lock again, and whoever gets the lock first once the
 * server is back leads: never two at once. A connection that dies without a word (a network gone
 * quiet) is found by a check every `retryMs`, answered within `checkTimeoutMs` or given up.
 * Used for the outbox relay and the timer scheduler, whose order matters.
 */
export function startLeaderElection(options: {
  connectionString: string;
  lockKey: number;
  lead: () => Promise<() => Promise<void>>;
  retryMs?: number;
  checkTimeoutMs?: number;
  logger?: Logger;
}): Leadership {
  const retryMs = options.retryMs ?? 1000;
  const checkTimeoutMs = options.checkTimeoutMs ?? 5000;
  const logger = (options.logger ?? silentLogger).child({ lockKey: options.lockKey });
  let running = true;
  let client: pg.Client | undefined;
  let stopLeading: (() => Promise<void>) | undefined;
  let lost: () => void = () => undefined;
  const pause = (connectionLost: Promise<void>) => Promise.race([new Promise((resolve) => setTimeout(resolve, retryMs)), connectionLost]);

  const loop = (async () => {
    let failures = 0;
    while (running) {
      let connectionLost = Promise.resolve();
      try {
        const session = new pg.Client({ connectionString: options.connectionString, keepAlive: true, query_timeout: checkTimeoutMs, connectionTimeoutMillis: checkTimeoutMs });
        client = session;
        let ended = false;
        connectionLost = new Promise<void>((resolve) => {
          lost = resolve;
          // Listening for `error` also keeps a dying connection from crashing the process.
          session.on('error', () => resolve());
          session.on('end', () => resolve());
        }).then(() => {
          ended = true;
        });
        await session.connect();
        while (running && !ended) {
          const result = await session.query<{ locked: boolean }>('select pg_try_advisory_lock($1) as locked', [options.lockKey]);
          if (result.rows[0]?.locked) break;
          await pause(connectionLost);
        }
        if (running && !ended) {
          if (failures > 0) logger.info(`leadership ${options.lockKey}: PostgreSQL answers again`);
          failures = 0;
          stopLeading = await options.lead();
          while (running && !ended) {
            await pause(connectionLost);
            if (running && !ended) await session.query('select 1');
          }
          if (running) logger.warn(`leadership ${options.lockKey} lost with its connection; standing down`);
        }
      } catch (error) {
        // Told once per outage: a server that is away fails every attempt until it is back.
        if (failures++ === 0) logger.warn({ err: error, retryMs }, `leadership ${options.lockKey}: PostgreSQL failed; standing down and trying again every ${retryMs} ms`);
      } finally {
        const stop = stopLeading;
        stopLeading = undefined;
        // Stop leading before anything else: another process may take the lock as soon as this session is gone.
        await stop?.();
        await client?.end().catch(() => undefined);
        lost();
        await connectionLost;
      }
      if (running) await new Promise((resolve) => setTimeout(resolve, retryMs));
    }
  })();

  return {
    async stop() {
      running = false;
      lost();
      await loop;
    },
  };
}

import { silentLogger, type Logger } from './logger.ts';
import { wakeableSleep } from './sleep.ts';

export type BackgroundLoop = Readonly<{
  /** Runs the next round now instead of after the idle delay. */
  wake(): void;
  stop(): Promise<void>;
}>;

/**
 * Runs `round` again and again: at once while it reports more work, otherwise after `idleMs`
 * or when woken. A failing round is logged and retried after the idle delay.
 */
export function startBackgroundLoop(
  name: string,
  round: () => Promise<{ more: boolean; idleMs?: number }>,
  options: { idleMs: number; logger?: Logger },
): BackgroundLoop {
  let running = true;
  let pendingWake = false;
  let sleeper: ReturnType<typeof wakeableSleep> | undefined;
  const loop = (async () => {
    while (running) {
      // Let I/O in between rounds: woken by every commit, a round could otherwise follow a round in microtasks.
      await new Promise((resolve) => setImmediate(resolve));
      let idleMs = options.idleMs;
      try {
        pendingWake = false;
        const result = await round();
        if (result.more) continue;
        idleMs = Math.min(result.idleMs ?? idleMs, options.idleMs);
      } catch (error) {
        (options.logger ?? silentLogger).warn({ loop: name, err: error }, `${name} failed, retrying`);
      }
      if (!running || pendingWake) continue;
      sleeper = wakeableSleep(Math.max(idleMs, 0));
      await sleeper.done;
      sleeper = undefined;
    }
  })();
  return {
    wake() {
      pendingWake = true;
      sleeper?.wake();
    },
    async stop() {
      running = false;
      sleeper?.wake();
      await loop;
    },
  };
}

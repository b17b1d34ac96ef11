import { pino, type DestinationStream } from 'pino';
import { PinoPretty } from 'pino-pretty';
import type { LogFields, Logger } from '../runtime/logger.ts';
import type { LogLevelSetting } from './config.ts';

export type LoggerOptions = Readonly<{
  level: LogLevelSetting;
  /** Where lines go; standard output when absent. */
  destination?: DestinationStream;
  /** Human-readable lines (pino-pretty) instead of JSON; by default when standard output is a terminal. */
  pretty?: boolean;
  /** Fields of every line (the roles of the process). */
  bindings?: LogFields;
}>;

/**
 * The production logger, made once per process by `app/main.ts` and passed down: pino, one JSON
 * object a line (`level` as its name, `time` as ISO-8601, errors under `err` with their stack),
 * pretty-printed when a person watches a terminal.
 *
 * @example
 * const logger = createLogger({ level: config.logLevel, bindings: { roles: 'worker' } });
 * logger.info({ url }, `xsaga listening on ${url}`);
 */
export function createLogger(options: LoggerOptions): Logger {
  const pretty = options.pretty ?? (options.destination === undefined && process.stdout.isTTY === true);
  const settings = {
    name: 'xsaga',
    level: options.level,
    timestamp: pino.stdTimeFunctions.isoTime,
    // Log shippers and people read a name; pino-pretty reads either.
    formatters: { level: (label: string) => ({ level: label }) },
  };
  const destination = pretty
    ? // Synchronous: a line written just before `process.exit` is not lost, and a terminal is no throughput concern.
      PinoPretty({ colorize: true, sync: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname,name,roles', destination: options.destination ?? 1 })
    : options.destination;
  const root = destination ? pino(settings, destination) : pino(settings);
  return options.bindings ? root.child(options.bindings) : root;
}

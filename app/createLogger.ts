import { pino, type DestinationStream } from 'pino';
import { PinoPretty } from 'pino-pretty';
import type { LogFields, Logger } from '../runtime/logger.ts';
import type { LogLevelSetting } from './config.ts';
import { withoutPassword } from './withoutPassword.ts';

/** Fields that name a server: shown with the password masked, so that a line still says where. */
const URL_FIELDS: ReadonlySet<string> = new Set(['pgUrl', 'redisUrl', 'elasticsearchUrl', 'connectionString']);

/**
 * Where a secret can sit in a line's fields: a payment token in an order, a command, an event or a
 * message (at any of the depths those nest it), a bearer key in request headers, API keys,
 * passwords, and server URLs. Lines are written so that none is ever put there; this is the net.
 */
export const REDACTED_PATHS: readonly string[] = [
  'paymentToken',
  '*.paymentToken',
  '*.*.paymentToken',
  '*.*.*.paymentToken',
  'authorization',
  'headers.authorization',
  '*.headers.authorization',
  'apiKey',
  '*.apiKey',
  'apiKeys',
  '*.apiKeys',
  'password',
  '*.password',
  ...[...URL_FIELDS].flatMap((field) => [field, `*.${field}`]),
];

const censor = (value: unknown, path: string[]): unknown =>
  URL_FIELDS.has(path.at(-1) ?? '') && typeof value === 'string' ? withoutPassword(value) : '[Redacted]';

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
 * secrets redacted, pretty-printed when a person watches a terminal.
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
    redact: { paths: [...REDACTED_PATHS], censor },
  };
  const destination = pretty
    ? // Synchronous: a line written just before `process.exit` is not lost, and a terminal is no throughput concern.
      PinoPretty({ colorize: true, sync: true, translateTime: 'SYS:HH:MM:ss.l', ignore: 'pid,hostname,name,roles', destination: options.destination ?? 1 })
    : options.destination;
  const root = destination ? pino(settings, destination) : pino(settings);
  return options.bindings ? root.child(options.bindings) : root;
}

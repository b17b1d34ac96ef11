/**
 * Fields of a structured log line. An error goes under `err`, so that the logger serialises it
 * with its type, message and stack; a line about a saga carries `sagaFields` (sagaLogFields.ts).
 */
export type LogFields = Readonly<Record<string, unknown>>;

/** The levels the port writes at; the implementation may know more (pino's `trace`, `fatal`). */
export type LogLevel = 'error' | 'warn' | 'info' | 'debug';

/** One level of the logger: a message alone, or fields and the message that says what happened. */
export type LogMethod = {
  (message: string): void;
  (fields: LogFields, message: string): void;
};

/**
 * Where every part of xsaga writes what it does, as structured lines. The levels mean something:
 * `error` something failed that a human must look at (a request answered 500, a consumer that
 * crashed); `warn` a fault the system rides out (a dependency down, a batch delivered again, a
 * message dead-lettered); `info` what an operator wants in the history of a process (started,
 * leading, holding partitions, a rebalance); `debug` the routine of each saga. The production
 * implementation is pino, made once in `app/`; `runtime/` knows only this port.
 *
 * @example
 * const sagaLogger = logger.child(sagaLogFields(live)); // every line of it carries sagaId, machine, version
 * sagaLogger.debug({ state: 'payment' }, 'saga moved');
 */
export type Logger = Readonly<{
  error: LogMethod;
  warn: LogMethod;
  info: LogMethod;
  debug: LogMethod;
  /** A logger whose every line carries `bindings` too (a saga's id, a role, later a trace id). */
  child(bindings: LogFields): Logger;
}>;

const ignore = (): void => undefined;

/** A logger that writes nothing: the default of every factory that takes one, and of tests. */
export const silentLogger: Logger = { error: ignore, warn: ignore, info: ignore, debug: ignore, child: () => silentLogger };

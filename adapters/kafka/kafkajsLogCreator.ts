import { logLevel, type logCreator } from 'kafkajs';
import type { Logger, LogLevel } from '../../runtime/logger.ts';

/**
 * Routes kafkajs's log through xsaga's logger: kafkajs levels map to the logger's (`ERROR` → error,
 * `WARN` → warn, `INFO` → info, `DEBUG` → debug). kafkajs's own fields (groupId, memberId, broker,
 * error, …) stay fields.
 *
 * @example
 * new Kafka({ brokers, logLevel: logLevel.WARN, logCreator: kafkajsLogCreator(logger) });
 */
export function kafkajsLogCreator(logger: Logger): logCreator {
  const kafkajs = logger.child({ component: 'kafkajs' });
  return () =>
    ({ namespace, level, log }) => {
      // kafkajs stamps its own time and name; the logger has both.
      const { message, timestamp: _timestamp, logger: _name, error, ...fields } = log;
      const text = String(message);
      // An Error goes where the logger serialises errors (a plain field would show as {}).
      const withError = error instanceof Error ? { namespace, ...fields, err: error } : { namespace, ...fields, error };
      kafkajs[levelOf(level)](withError, text);
    };
}

function levelOf(level: logLevel): LogLevel {
  if (level === logLevel.ERROR) return 'error';
  if (level === logLevel.WARN) return 'warn';
  return level === logLevel.INFO ? 'info' : 'debug';
}

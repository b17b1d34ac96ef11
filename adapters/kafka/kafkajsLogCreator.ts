import { logLevel, type logCreator } from 'kafkajs';
import type { Logger, LogLevel } from '../../runtime/logger.ts';

/**
 * What kafkajs 2.2.4 says, at `WARN` or `ERROR`, when a consumer group rebalances: a member joined or
 * left, a session expired (a paused or restarted process), the coordinator moved. The group heals
 * itself each time and xsaga hands the partitions over (`onRevoked`), so these are the history of a
 * process (`info`), not faults. Texts from kafkajs's src/consumer/runner.js and src/protocol/error.js.
 */
const REBALANCE_MESSAGES: ReadonlySet<string> = new Set([
  'The group is rebalancing, re-joining',
  'The coordinator is not aware of this member, re-joining the group',
]);

/** The broker's answers, logged by kafkajs's connection as `Response Heartbeat(…)` errors, that start or continue a rebalance. */
const REBALANCE_ERRORS: ReadonlySet<string> = new Set([
  'The group is rebalancing, so a rejoin is needed',
  'The coordinator is not aware of this member',
  'Specified group generation id is not valid',
  'This is not the correct coordinator for this group',
]);

const isRebalance = (message: string, error: unknown): boolean =>
  REBALANCE_MESSAGES.has(message) || (typeof error === 'string' && REBALANCE_ERRORS.has(error));

/**
 * Routes kafkajs's log through xsaga's logger: kafkajs levels map to the logger's (`ERROR` → error,
 * `WARN` → warn, `INFO` → info, `DEBUG` → debug), except a routine rebalance, which is `info`
 * whatever kafkajs called it. kafkajs's own fields (groupId, memberId, broker, error, …) stay fields.
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
      kafkajs[levelOf(level, text, error)](withError, text);
    };
}

function levelOf(level: logLevel, message: string, error: unknown): LogLevel {
  if (level === logLevel.ERROR || level === logLevel.WARN) {
    if (isRebalance(message, error)) return 'info';
    return level === logLevel.ERROR ? 'error' : 'warn';
  }
  return level === logLevel.INFO ? 'info' : 'debug';
}

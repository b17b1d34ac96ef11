import { sqlStateOf } from './sqlClient.ts';

/**
 * Whether the database refused a value that a message brought: SQLSTATE class 22 (data exception:
 * a `\u0000` in jsonb, a number out of range) or 54 (program limit exceeded: a key too large to
 * index, nesting too deep). The same message would be refused every time. Any other failure of
 * the store (connection lost, server down, a conflict) is not the message's fault: its batch is
 * retried as a whole and nothing is dead-lettered.
 */
export function isRejectedData(error: unknown): boolean {
  const state = sqlStateOf(error);
  return state !== undefined && /^(22|54)[0-9A-Z]{3}$/.test(state);
}

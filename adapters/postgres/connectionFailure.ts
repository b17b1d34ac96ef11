import { XsagaError } from '../../runtime/errors.ts';
import { sqlStateOf } from '../../runtime/sqlClient.ts';

/** Socket failures: the server is down, restarting, or out of reach. */
const SOCKET_ERRORS = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN']);

/**
 * SQLSTATEs that mean the session, not the statement, failed: class 08 (connection exception, but
 * not 08P01, a protocol violation: a bug), 53300 (too many connections), 57P01–57P03 (the server is
 * shutting down, crashed, or cannot take connections yet: a restart).
 */
const SESSION_STATES = /^(08(?!P01)[0-9A-Z]{3}|53300|57P0[123])$/;

/** What `pg` itself throws, with no code, when a connection dies or cannot be made in time. */
const DRIVER_MESSAGES = /^Connection terminated|not queryable|timeout exceeded when trying to connect/;

/**
 * Whether `error` says the database could not be reached, rather than that it refused the
 * statement: the same statement may well succeed once the server is back.
 */
export function isConnectionFailure(error: unknown): boolean {
  const state = sqlStateOf(error);
  if (state !== undefined && (SOCKET_ERRORS.has(state) || SESSION_STATES.test(state))) return true;
  return error instanceof Error && DRIVER_MESSAGES.test(error.message);
}

/**
 * A connection failure as the `UNAVAILABLE` error every caller knows (the API answers it with a 503
 * and `Retry-After`, a consumer's batch is delivered again); any other error as it is.
 */
export function asUnavailable(error: unknown): unknown {
  if (!isConnectionFailure(error)) return error;
  return new XsagaError('UNAVAILABLE', `PostgreSQL is unavailable: ${(error as Error).message}`, { retryable: true, cause: error });
}

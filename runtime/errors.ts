/** Stable error codes; the HTTP layer maps them to status codes, callers check them instead of classes. */
export type ErrorCode =
  | 'VALIDATION'
  | 'NOT_FOUND'
  | 'CONCURRENCY'
  /** The request is valid but the state of the system refuses it (an order not completed, items already returned). */
  | 'CONFLICT'
  | 'IDEMPOTENCY_KEY_REUSED'
  | 'MACHINE_NOT_REGISTERED'
  | 'CONFIG'
  | 'UNAVAILABLE'
  | 'TIMEOUT';

export type FieldError = Readonly<{ field: string; detail: string }>;

/** The one base of every error xsaga throws. `retryable` tells a caller whether trying again can help. */
export class XsagaError extends Error {
  readonly code: ErrorCode;
  readonly retryable: boolean;
  readonly fieldErrors: readonly FieldError[];

  constructor(code: ErrorCode, message: string, options: { retryable?: boolean; cause?: unknown; fieldErrors?: readonly FieldError[] } = {}) {
    super(message, { cause: options.cause });
    this.name = 'XsagaError';
    this.code = code;
    this.retryable = options.retryable ?? false;
    this.fieldErrors = options.fieldErrors ?? [];
  }
}

export function isXsagaError(error: unknown, code?: ErrorCode): error is XsagaError {
  return error instanceof XsagaError && (code === undefined || error.code === code);
}

/**
 * How many field errors a message (and an HTTP answer) lists. A 3 kB body of 100 items with
 * unknown keys had 500 of them and a 70 kB answer: no client reads past the first few, an
 * attacker gets the rest as amplification.
 */
export const LISTED_FIELD_ERRORS = 20;

export function validationError(fieldErrors: readonly FieldError[]): XsagaError {
  const listed = fieldErrors.slice(0, LISTED_FIELD_ERRORS).map((e) => `${e.field}: ${e.detail}`);
  const more = fieldErrors.length - listed.length;
  return new XsagaError('VALIDATION', `Invalid request: ${listed.join('; ')}${more > 0 ? `; and ${more} more` : ''}`, { fieldErrors });
}

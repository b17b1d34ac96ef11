/** Stable error codes; the HTTP layer maps them to status codes, callers check them instead of classes. */
export type ErrorCode =
  | 'VALIDATION'
  | 'NOT_FOUND'
  | 'CONCURRENCY'
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

export function validationError(fieldErrors: readonly FieldError[]): XsagaError {
  const detail = fieldErrors.map((e) => `${e.field}: ${e.detail}`).join('; ');
  return new XsagaError('VALIDATION', `Invalid request: ${detail}`, { fieldErrors });
}

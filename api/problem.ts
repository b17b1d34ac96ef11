import type { ErrorRequestHandler, Response } from 'express';
import { isXsagaError, LISTED_FIELD_ERRORS, type ErrorCode, type FieldError } from '../runtime/errors.ts';
import type { Logger } from '../runtime/logger.ts';

/** An RFC 7807 problem document; `errors` names each field at fault. */
export type Problem = Readonly<{
  type: string;
  title: string;
  status: number;
  detail: string;
  instance?: string;
  errors?: readonly FieldError[];
}>;

const STATUS_BY_CODE: Record<ErrorCode, number> = {
  VALIDATION: 400,
  NOT_FOUND: 404,
  CONCURRENCY: 409,
  CONFLICT: 409,
  IDEMPOTENCY_KEY_REUSED: 422,
  MACHINE_NOT_REGISTERED: 500,
  CONFIG: 500,
  UNAVAILABLE: 503,
  TIMEOUT: 503,
};

const TITLES: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  408: 'Request Timeout',
  409: 'Conflict',
  413: 'Content Too Large',
  415: 'Unsupported Media Type',
  417: 'Expectation Failed',
  422: 'Unprocessable Content',
  431: 'Request Header Fields Too Large',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

type ProblemInput = Omit<Problem, 'title' | 'type'> & { type?: string; title?: string };

/** The document of `problem`, its type and title filled in: for the few answers written without Express. */
export function problemDocument(problem: ProblemInput): Problem {
  return { type: problem.type ?? 'about:blank', title: problem.title ?? TITLES[problem.status] ?? 'Error', ...problem };
}

export function sendProblem(res: Response, problem: ProblemInput): void {
  res.status(problem.status).type('application/problem+json').json(problemDocument(problem));
}

type BodyParserError = Error & { type?: string; status?: number };

/** The JSON parser's message without the excerpt of the body it quotes: a body may hold a payment token. */
const withoutExcerpt = (message: string): string => message.replace(/, (?:\.\.\.)?".*"(?:\.\.\.)? is not valid JSON$/s, ': not valid JSON');

/** The one place errors become HTTP responses: stable codes map to statuses, nothing internal leaks. */
export function problemMiddleware(logger: Logger): ErrorRequestHandler {
  return (error: unknown, req, res, _next) => {
    const instance = req.originalUrl;
    if (isXsagaError(error)) {
      const status = STATUS_BY_CODE[error.code];
      // A timeout is the client's to retry and says what it waited for; other server errors leak nothing.
      const shown = status < 500 || error.code === 'TIMEOUT';
      // A dependency that is down is ridden out (the client retries after Retry-After); anything else is a fault to look at.
      if (!shown) logger[error.retryable ? 'warn' : 'error']({ method: req.method, url: instance, status, err: error }, `${req.method} ${req.path} failed`);
      if (error.retryable && status >= 500) res.set('Retry-After', '1');
      sendProblem(res, {
        type: `urn:xsaga:problem:${error.code.toLowerCase().replaceAll('_', '-')}`,
        status,
        detail: shown ? error.message : 'The request could not be completed; try again later.',
        instance,
        ...(error.fieldErrors.length > 0 ? { errors: error.fieldErrors.slice(0, LISTED_FIELD_ERRORS) } : {}),
      });
      return;
    }
    const parserError = error as BodyParserError;
    switch (parserError.type) {
      case 'entity.parse.failed':
        sendProblem(res, { status: 400, detail: 'The body must be a valid JSON object.', instance, errors: [{ field: '', detail: withoutExcerpt(parserError.message) }] });
        return;
      case 'entity.too.large':
        sendProblem(res, { status: 413, detail: 'The body is larger than the server accepts.', instance });
        return;
      case 'encoding.unsupported':
      case 'charset.unsupported':
        sendProblem(res, { status: 415, detail: parserError.message, instance });
        return;
    }
    // Express and its parsers mark client errors (an undecodable path, an aborted body) with a 4xx status.
    const clientStatus = parserError?.status;
    if (typeof clientStatus === 'number' && clientStatus >= 400 && clientStatus < 500) {
      sendProblem(res, { status: clientStatus, detail: parserError.message, instance });
      return;
    }
    logger.error({ method: req.method, url: instance, status: 500, err: error }, `${req.method} ${req.path} failed`);
    sendProblem(res, { status: 500, detail: 'An unexpected error occurred.', instance });
  };
}

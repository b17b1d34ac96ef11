import type { Request } from 'express';
import { isPlainText } from '../orders/plainText.ts';
import { validationError } from '../runtime/errors.ts';

/**
 * The id in path parameter `name`, refused with a 400 naming it when no stream can have it:
 * `/orders/%00` reached the event store before, and PostgreSQL failed it as a 500.
 *
 * @example
 * const orderId = pathId(req, 'id');
 */
export function pathId(req: Request, name: string): string {
  const value = String(req.params[name]);
  if (!isPlainText(value)) throw validationError([{ field: name, detail: 'must not contain control characters' }]);
  return value;
}

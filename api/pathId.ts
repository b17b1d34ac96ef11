import { z } from 'zod';
import { isPlainText } from '../orders/plainText.ts';

/**
 * A path parameter that names a stream (an order, a saga, a dead letter): refused with a 400 naming
 * it when no stream can have it. `/orders/%00` reached the event store before, and PostgreSQL failed
 * it as a 500.
 *
 * @example
 * const params = z.object({ id: pathId() });
 */
export const pathId = () => z.string().refine(isPlainText, { error: 'must not contain control characters' });

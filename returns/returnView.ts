import { z } from 'zod';
import { minorUnits, returnItem, text } from './returnSchemas.ts';
import type { Decision, RejectionReason, ReturnFailureReason, ReturnItem, ReturnSagaContext } from './returnTypes.ts';
import { checkWith } from './xsaga.ts';

export type ReturnStatus = 'PENDING' | 'COMPLETED' | 'REJECTED' | 'EXPIRED' | 'FAILED';

/** The read model's document for one return: what GET /returns/:id answers. */
export type ReturnView = Readonly<{
  returnId: string;
  orderId: string;
  customerId: string;
  status: ReturnStatus;
  /** The statechart state, dotted; both regions while the refund and the restock run (`processing(refund.refunded, restock.restocking)`). */
  state: string;
  /** What the return pays back, and what it has paid back so far (net of a reversal). */
  refund: Readonly<{ amount: number; currency: string; refunded: number }>;
  items: readonly ReturnItem[];
  decision: Decision | null;
  rejectionReason: RejectionReason | null;
  failureReason: ReturnFailureReason | null;
  /** Why the return waits for a human, since when; `null` while nothing needs one. */
  attention: Readonly<{ reason: string; since: string; attempts: number; lastError: string }> | null;
  version: number;
  requestedAt: string;
  updatedAt: string;
}>;

const STATUS_OF_FINAL: Readonly<Record<string, ReturnStatus>> = { completed: 'COMPLETED', rejected: 'REJECTED', expired: 'EXPIRED', failed: 'FAILED' };

/**
 * A state value as one name: nested states dotted, parallel regions side by side in brackets.
 *
 * @example returnStateName({ processing: { refund: 'refunded', restock: 'restocking' } }) // 'processing(refund.refunded, restock.restocking)'
 */
export function returnStateName(value: unknown): string {
  if (typeof value === 'string') return value;
  const entries = Object.entries(value as Record<string, unknown>);
  if (entries.length === 1) {
    const [key, child] = entries[0]!;
    const inner = returnStateName(child);
    return inner.startsWith('(') ? `${key}${inner}` : `${key}.${inner}`;
  }
  return `(${entries.map(([key, child]) => `${key}.${returnStateName(child)}`).join(', ')})`;
}

export const returnStatusOf = (state: string): ReturnStatus => STATUS_OF_FINAL[state] ?? 'PENDING';

export function returnView(args: { context: ReturnSagaContext; value: unknown; version: number; updatedAt: string }): ReturnView {
  const { context } = args;
  const state = returnStateName(args.value);
  return {
    returnId: context.request.returnId,
    orderId: context.request.orderId,
    customerId: context.request.customerId,
    status: returnStatusOf(state),
    state,
    refund: { amount: context.request.refundAmount, currency: context.request.currency, refunded: context.refunded },
    items: context.request.items,
    decision: context.decision,
    rejectionReason: context.rejectionReason,
    failureReason: context.failureReason,
    // Only leaving the parked state moves a parked return, so the fact that parked it is its latest.
    attention: context.attention ? { reason: context.attention.reason, since: args.updatedAt, attempts: context.attention.attempts, lastError: context.attention.lastError } : null,
    version: args.version,
    requestedAt: context.request.requestedAt,
    updatedAt: args.updatedAt,
  };
}

/** The view as the projector and the API check it. */
export const returnViewSchema = z.object({
  returnId: text,
  orderId: text,
  customerId: text,
  status: z.enum(['PENDING', 'COMPLETED', 'REJECTED', 'EXPIRED', 'FAILED']),
  state: text,
  refund: z.object({ amount: minorUnits, currency: text, refunded: minorUnits }),
  items: z.array(returnItem).min(1),
  decision: z.object({ approved: z.boolean(), operator: text, reason: z.string().nullable() }).nullable(),
  rejectionReason: z.enum(['REJECTED_BY_OPERATOR', 'APPROVAL_TIMEOUT']).nullable(),
  failureReason: text.nullable(),
  attention: z.object({ reason: text, since: z.iso.datetime(), attempts: z.number().int().nonnegative(), lastError: z.string() }).nullable(),
  version: z.number().int().positive(),
  requestedAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
});

/** What is wrong with a view, or undefined: the projector's check of a fact before it is indexed. */
export const checkReturnView = checkWith(returnViewSchema);

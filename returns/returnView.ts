import { z } from 'zod';
import { minorUnits, returnItem, text } from './returnSchemas.ts';
import type { RejectionReason, ReturnFailureReason, ReturnItem, ReturnSagaContext } from './returnTypes.ts';
import { checkWith, stateName } from 'xsaga';

export type ReturnStatus = 'PENDING' | 'COMPLETED' | 'REJECTED' | 'EXPIRED' | 'FAILED';

/** The read model's document for one return: what GET /returns/:id answers. */
export type ReturnView = Readonly<{
  returnId: string;
  orderId: string;
  customerId: string;
  status: ReturnStatus;
  /** The statechart state, dotted; every region while the refund and the restock run (`processing.refund.refunded, processing.restock.restocking`). */
  state: string;
  /** Why the customer returns the items. */
  reason: string;
  /** What the return pays back, and what it has paid back so far (net of a reversal). */
  refund: Readonly<{ amount: number; currency: string; refunded: number }>;
  items: readonly ReturnItem[];
  rejectionReason: RejectionReason | null;
  failureReason: ReturnFailureReason | null;
  version: number;
  requestedAt: string;
  updatedAt: string;
}>;

const STATUS_OF_FINAL: Readonly<Record<string, ReturnStatus>> = { completed: 'COMPLETED', rejected: 'REJECTED', expired: 'EXPIRED', failed: 'FAILED' };

export const returnStatusOf = (state: string): ReturnStatus => STATUS_OF_FINAL[state] ?? 'PENDING';

export function returnView(args: { context: ReturnSagaContext; value: unknown; version: number; updatedAt: string }): ReturnView {
  const { context } = args;
  const state = stateName(args.value);
  return {
    returnId: context.request.returnId,
    orderId: context.request.orderId,
    customerId: context.request.customerId,
    status: returnStatusOf(state),
    state,
    reason: context.request.reason,
    refund: { amount: context.request.refundAmount, currency: context.request.currency, refunded: context.refunded },
    items: context.request.items,
    rejectionReason: context.rejectionReason,
    failureReason: context.failureReason,
    version: args.version,
    requestedAt: context.request.requestedAt,
    updatedAt: args.updatedAt,
  };
}

/** The view as the projector checks it; the same fields as the API's (returnContract.ts), strictly. */
export const returnViewSchema = z.strictObject({
  returnId: text,
  orderId: text,
  customerId: text,
  status: z.enum(['PENDING', 'COMPLETED', 'REJECTED', 'EXPIRED', 'FAILED']),
  state: text,
  reason: z.string(),
  refund: z.object({ amount: minorUnits, currency: text, refunded: minorUnits }),
  items: z.array(returnItem).min(1),
  rejectionReason: z.enum(['REJECTED_BY_OPERATOR', 'APPROVAL_TIMEOUT']).nullable(),
  failureReason: text.nullable(),
  version: z.number().int().positive(),
  requestedAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
});

/** What is wrong with a view, or undefined: the projector's check of a fact before it is indexed. */
export const checkReturnView = checkWith(returnViewSchema);

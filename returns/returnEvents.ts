import { z } from 'zod';
import { minorUnits, returnItems, text } from './returnSchemas.ts';
import type { ReturnSagaEvent } from './returnTypes.ts';
import { checkWith, type EventRule } from 'xsaga';

export const RETURN_REQUESTED = 'ReturnRequested';

/** A reply: a fact of the saga only as the answer to one of `commands` that it emitted and still awaits. */
const reply = (commands: readonly string[], data: z.ZodType): EventRule => ({ check: checkWith(data), answers: commands });

/** An event that answers no command (the start, an operator's decision, the carrier's scan): its shape is its only rule. */
const event = (data: z.ZodType): EventRule => ({ check: checkWith(data) });

const positiveInt = z.number().int().positive();

const returnRequested = z.object({
  returnId: text,
  orderId: text,
  customerId: text,
  items: returnItems,
  refundAmount: minorUnits,
  currency: text,
  reason: z.string().max(500),
  requestedAt: z.iso.datetime(),
  settings: z.object({
    approvalAboveMinor: minorUnits,
    approvalDeadlineMs: positiveInt,
    parcelDeadlineMs: positiveInt,
    // Absent: the machine's pinned defaults.
    stepDeadlineMs: positiveInt.optional(),
    maxAttempts: positiveInt.optional(),
    retryBaseMs: positiveInt.optional(),
    retryMaxMs: positiveInt.optional(),
    parkAfterAttempts: positiveInt.optional(),
  }),
});

const failure = z.object({ reason: text, retryable: z.boolean() });
const nothing = z.object({});
const amount = z.object({ amount: minorUnits });
/** Who decided or acted, and why (an approval may say nothing). */
const operatorAction = z.object({ operator: text, reason: z.string().max(500).optional() });

/**
 * Every message the returns saga accepts, by type, with the shape of its data and, for a reply,
 * the commands it answers. The type makes every event of the machine need an entry here.
 */
export const returnSagaEvents = {
  [RETURN_REQUESTED]: event(returnRequested),
  ReturnApproved: event(operatorAction),
  ReturnRejected: event(operatorAction),
  ResumeRequested: event(operatorAction),
  // The carrier's scan, keyed by the return's id; it answers no command of the saga. When is the message's own time.
  ParcelReceived: event(z.object({ receivedAt: z.iso.datetime().optional(), carrier: text.optional() })),
  ReturnLabelIssued: reply(['IssueReturnLabel'], z.object({ labelId: text })),
  ReturnLabelFailed: reply(['IssueReturnLabel'], failure),
  ReturnLabelVoided: reply(['VoidReturnLabel'], nothing),
  ReturnLabelVoidFailed: reply(['VoidReturnLabel'], failure),
  ReturnRefunded: reply(['RefundReturn'], amount),
  ReturnRefundFailed: reply(['RefundReturn'], failure),
  ReturnRefundReversed: reply(['ReverseReturnRefund'], amount),
  ReturnRefundReversalFailed: reply(['ReverseReturnRefund'], failure),
  ReturnRestocked: reply(['RestockReturn'], nothing),
  ReturnRestockFailed: reply(['RestockReturn'], failure),
  ReturnRestockReversed: reply(['ReverseReturnRestock'], nothing),
  ReturnRestockReversalFailed: reply(['ReverseReturnRestock'], failure),
} satisfies Record<ReturnSagaEvent['type'] | typeof RETURN_REQUESTED, EventRule>;

/** A returned line of a completed order. Amounts are integer minor units, as in the order. */
export type ReturnItem = Readonly<{ sku: string; quantity: number; unitPrice: number }>;

/** What a customer asked for, as the HTTP edge accepted it (it checked the order and priced the items). */
export type ReturnRequest = Readonly<{
  returnId: string;
  orderId: string;
  customerId: string;
  items: readonly ReturnItem[];
  /** What the customer gets back: the order's prices of the returned items. */
  refundAmount: number;
  currency: string;
  reason: string;
  /** When the return was requested, set at the HTTP edge. */
  requestedAt: string;
}>;

/** Settings fixed when the return starts and stored with it, so replay never depends on today's configuration. */
export type ReturnSettings = Readonly<{
  /** A refund above this (minor units) waits for an operator's decision. */
  approvalAboveMinor: number;
  /** How long an operator has to decide; then the return is rejected. */
  approvalDeadlineMs: number;
  /** How long the parcel has to arrive once the label is issued; then the return expires. */
  parcelDeadlineMs: number;
  /** How long a participant may stay silent on a forward step before its outcome counts as unknown. */
  stepDeadlineMs?: number;
  /** Attempts of a forward step that fails transiently, before the step counts as unavailable. */
  maxAttempts?: number;
  retryBaseMs?: number;
  retryMaxMs?: number;
  /** Attempts of a compensation (since it began or an operator last resumed it) before it parks. */
  parkAfterAttempts?: number;
}>;

/** The data of the start event `ReturnRequested`. */
export type ReturnSagaInput = ReturnRequest & Readonly<{ settings: ReturnSettings }>;

/** What the saga does, each with its own attempt count. */
export type ReturnAction = 'label' | 'voidLabel' | 'refund' | 'restock' | 'reverseRefund' | 'reverseRestock';

export type RejectionReason = 'REJECTED_BY_OPERATOR' | 'APPROVAL_TIMEOUT';

/** Why a return failed: its own reasons, or a participant's final refusal (`REFUND_EXCEEDS_CAPTURE`). */
export type ReturnFailureReason = 'LABEL_UNAVAILABLE' | 'LABEL_TIMEOUT' | 'REFUND_UNAVAILABLE' | 'REFUND_TIMEOUT' | 'RESTOCK_UNAVAILABLE' | 'RESTOCK_TIMEOUT' | (string & {});

/** An operator's decision on a return above the threshold. */
export type Decision = Readonly<{ approved: boolean; operator: string; reason: string | null }>;

/** One line of the saga's history: what was done or undone, in order. */
export type ReturnStep = Readonly<{ action: ReturnAction }>;

/** Why a saga waits for a human, and what it last tried. */
export type ReturnAttention = Readonly<{ reason: 'COMPENSATION_PARKED'; action: ReturnAction; attempts: number; lastError: string }>;

export type Attempts = Readonly<Record<ReturnAction, number>>;

export type ReturnSagaContext = Readonly<{
  request: ReturnRequest;
  settings: Required<ReturnSettings>;
  attempts: Attempts;
  /** Per action, the attempt count when an operator last resumed it: the count towards parking starts there. */
  retryFrom: Attempts;
  /** The wait of each action's retry armed last; two branches may back off at once. */
  backoffMs: Readonly<Record<ReturnAction, number>>;
  decision: Decision | null;
  labelId: string | null;
  /** Net amount refunded: what the refund paid, less what a reversal took back. */
  refunded: number;
  steps: readonly ReturnStep[];
  rejectionReason: RejectionReason | null;
  failureReason: ReturnFailureReason | null;
  attention: ReturnAttention | null;
}>;

/** A participant's reply that something could not be done; `retryable` marks a transient failure. */
export type FailureData = Readonly<{ reason: string; retryable: boolean }>;

/** Who decided, or acted by hand, and why. */
export type OperatorData = Readonly<{ operator: string; reason?: string }>;

/** Events the returns saga accepts, as they reach the machine (`type` plus the message data). */
export type ReturnSagaEvent =
  | { type: 'ReturnApproved'; data: OperatorData }
  | { type: 'ReturnRejected'; data: OperatorData }
  | { type: 'ResumeRequested'; data: OperatorData }
  | { type: 'ParcelReceived'; data: { receivedAt?: string; carrier?: string } }
  | { type: 'ReturnLabelIssued'; data: { labelId: string } }
  | { type: 'ReturnLabelFailed'; data: FailureData }
  | { type: 'ReturnLabelVoided'; data: Record<string, never> }
  | { type: 'ReturnLabelVoidFailed'; data: FailureData }
  | { type: 'ReturnRefunded'; data: { amount: number } }
  | { type: 'ReturnRefundFailed'; data: FailureData }
  | { type: 'ReturnRefundReversed'; data: { amount: number } }
  | { type: 'ReturnRefundReversalFailed'; data: FailureData }
  | { type: 'ReturnRestocked'; data: Record<string, never> }
  | { type: 'ReturnRestockFailed'; data: FailureData }
  | { type: 'ReturnRestockReversed'; data: Record<string, never> }
  | { type: 'ReturnRestockReversalFailed'; data: FailureData };

type Keyed = Readonly<{ returnId: string; orderId: string; attempt: number }>;

/** Commands the returns saga emits; each carries the return's id (its subject) and the order's. */
export type ReturnSagaCommand =
  | { type: 'IssueReturnLabel'; data: Keyed & { customerId: string; items: readonly ReturnItem[] } }
  | { type: 'VoidReturnLabel'; data: Keyed & { labelId: string | null } }
  | { type: 'RefundReturn'; data: Keyed & { amount: number; currency: string } }
  | { type: 'ReverseReturnRefund'; data: Keyed & { currency: string } }
  | { type: 'RestockReturn'; data: Keyed & { items: readonly ReturnItem[] } }
  | { type: 'ReverseReturnRestock'; data: Keyed & { items: readonly ReturnItem[] } };

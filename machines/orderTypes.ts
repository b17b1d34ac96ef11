/** The data of one order, as the saga sees it. Amounts are integer minor units. */
export type OrderItem = Readonly<{ sku: string; quantity: number; unitPrice: number }>;

export type ShippingAddress = Readonly<{ name: string; line1: string; line2?: string; city: string; postalCode: string; country: string }>;

export type Order = Readonly<{
  orderId: string;
  customerId: string;
  currency: string;
  items: readonly OrderItem[];
  total: number;
  paymentToken: string;
  shippingAddress: ShippingAddress;
  /** When the order was accepted, set at the HTTP edge. */
  placedAt: string;
}>;

/** Settings fixed when the saga starts and stored with it, so replay never depends on today's configuration. */
export type SagaSettings = Readonly<{
  paymentTimeoutMs: number;
  /** Attempts of a forward step that fails transiently, before the step counts as unavailable. */
  maxAttempts: number;
  /** Backoff between attempts: full jitter under base × 2^(retry − 1), capped at max. */
  retryBaseMs: number;
  retryMaxMs: number;
  /** Attempts of a compensation (since it began or an operator last acted) before it parks. */
  parkAfterAttempts: number;
}>;

export type OrderSagaInput = Readonly<{ order: Order; settings: SagaSettings }>;

export type Step = 'payment' | 'inventory' | 'shipping';
export type StepAction = 'capture' | 'reserve' | 'ship' | 'release' | 'refund';

/** Why an order failed: the reasons xsaga's own participants give, or a participant's own final reason. */
export type FailureReason = KnownFailureReason | (string & {});

export type KnownFailureReason =
  | 'PAYMENT_DECLINED'
  | 'PAYMENT_TIMEOUT'
  | 'PAYMENT_UNAVAILABLE'
  | 'OUT_OF_STOCK'
  | 'INVENTORY_UNAVAILABLE'
  | 'UNDELIVERABLE'
  | 'SHIPPING_UNAVAILABLE'
  | 'CANCELLED'
  | 'FRAUD_REJECTED';

/** One line of the saga's step history: what was done or undone, in order. */
export type StepRecord = Readonly<{ step: Step; action: StepAction }>;

export type Attempts = Readonly<Record<StepAction, number>>;

/** Why a saga waits for a human, and what it last tried. */
export type Attention = Readonly<{ reason: 'COMPENSATION_PARKED'; action: StepAction; attempts: number; lastError: string }>;

export type OrderSagaContext = Readonly<{
  order: Order;
  settings: SagaSettings;
  attempts: Attempts;
  /** Per action, the attempt count when the backoff last started over (an operator's retry or resume). */
  retryFrom: Attempts;
  /** The wait of the retry armed last; the `retryBackoff` delay reads it. */
  backoffMs: number;
  steps: readonly StepRecord[];
  failureReason: FailureReason | null;
  attention: Attention | null;
}>;

/** A participant's reply that something could not be done; `retryable` marks a transient failure. */
export type FailureData = Readonly<{ reason: string; retryable: boolean }>;

/** Who acted on a saga by hand, and why: the data of every operator event. */
export type OperatorData = Readonly<{ operator: string; reason: string }>;

/** Operator actions, facts of the saga's stream like any reply. */
export type OperatorEvent =
  | { type: 'RetryRequested'; data: OperatorData }
  | { type: 'ResumeRequested'; data: OperatorData }
  | { type: 'CancelRequested'; data: OperatorData };

/** Replies and operator actions that the order saga accepts, as they reach the machine (`type` plus the message data). */
export type OrderSagaEvent =
  | OperatorEvent
  | { type: 'PaymentCaptured'; data: { amount: number } }
  | { type: 'PaymentFailed'; data: FailureData }
  | { type: 'PaymentRefunded'; data: { amount: number } }
  | { type: 'PaymentRefundFailed'; data: FailureData }
  | { type: 'StockReserved'; data: Record<string, never> }
  | { type: 'StockReservationFailed'; data: FailureData }
  | { type: 'StockReleased'; data: Record<string, never> }
  | { type: 'StockReleaseFailed'; data: FailureData }
  | { type: 'ShipmentCreated'; data: { shipmentId: string } }
  | { type: 'ShipmentFailed'; data: FailureData };

/** Commands that the order saga emits; each goes to the participant that owns its step. */
export type OrderSagaCommand =
  | { type: 'CapturePayment'; data: { orderId: string; amount: number; currency: string; paymentToken: string; attempt: number } }
  | { type: 'RefundPayment'; data: { orderId: string; amount: number; currency: string; attempt: number } }
  | { type: 'ReserveStock'; data: { orderId: string; items: readonly OrderItem[]; attempt: number } }
  | { type: 'ReleaseStock'; data: { orderId: string; items: readonly OrderItem[]; attempt: number } }
  | { type: 'CreateShipment'; data: { orderId: string; address: ShippingAddress; items: readonly OrderItem[]; attempt: number } };

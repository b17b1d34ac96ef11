import type {
  FailureData,
  OperatorData,
  Order,
  OrderSagaCommand,
  OrderSagaContext,
  OrderSagaEvent,
  SagaSettings,
  StepAction,
} from './orderTypes.ts';

/** What the fraud scorer makes of an order: `doubtful` asks a human. */
export type FraudVerdict = 'clean' | 'doubtful' | 'fraud';

/** The fraud review's settings, pinned in the saga's input like the others. */
export type FraudSettings = Readonly<{
  /** Orders whose total (minor units) is above this are scored before they go on. */
  fraudReviewAboveMinor: number;
  /** How long a doubtful order waits for an operator before it is rejected. */
  fraudReviewDeadlineMs: number;
  /** How long the scorer may stay silent, over every attempt, before a human decides instead. */
  fraudScoreTimeoutMs: number;
}>;

export type OrderSagaV2Settings = SagaSettings & FraudSettings;

/** Streams of v2 carry the fraud settings; the machine defaults any that are absent. */
export type OrderSagaV2Input = Readonly<{ order: Order; settings: SagaSettings & Partial<FraudSettings> }>;

export type StepActionV2 = StepAction | 'score';

export type AttemptsV2 = Readonly<Record<StepActionV2, number>>;

/** The score, and the operator's decision on a doubtful one. */
export type FraudReview = Readonly<{
  verdict: FraudVerdict | null;
  score: number | null;
  decision: 'approved' | 'rejected' | null;
  operator: string | null;
}>;

/** Why a v2 saga waits for a human: a parked compensation, or a fraud review. */
export type AttentionV2 = OrderSagaContext['attention'] | Readonly<{ reason: 'FRAUD_REVIEW'; action: 'score'; attempts: number; lastError: string }>;

export type OrderSagaV2Context = Readonly<
  Omit<OrderSagaContext, 'settings' | 'attempts' | 'retryFrom' | 'attention'> & {
    settings: OrderSagaV2Settings;
    attempts: AttemptsV2;
    retryFrom: AttemptsV2;
    attention: AttentionV2;
    fraud: FraudReview | null;
  }
>;

export type FraudScoredData = Readonly<{ verdict: FraudVerdict; score: number }>;

export type OrderSagaV2Event =
  | OrderSagaEvent
  | { type: 'FraudScored'; data: FraudScoredData }
  | { type: 'FraudScoringFailed'; data: FailureData }
  | { type: 'FraudReviewApproved'; data: OperatorData }
  | { type: 'FraudReviewRejected'; data: OperatorData };

export type ScoreFraudData = Readonly<{ orderId: string; customerId: string; amount: number; currency: string; paymentToken: string; attempt: number }>;

export type OrderSagaV2Command = OrderSagaCommand | { type: 'ScoreFraud'; data: ScoreFraudData };

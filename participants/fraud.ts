import { z } from 'zod';
import type { FraudVerdict, ScoreFraudData } from '../machines/orderSagaV2Types.ts';
import { migrate } from '../runtime/migrate.ts';
import type { SqlClient } from '../runtime/sqlClient.ts';
import { attempt, checkWith, minorUnits, text } from '../orders/orderSchemas.ts';
import { final, type ParticipantSpec, type Performed } from './participant.ts';

/** The shape of the command order saga v2 sends its fraud scorer. */
export const checkScoreFraud = checkWith(z.object({ orderId: text, customerId: text, amount: minorUnits, currency: text, paymentToken: text, attempt }));

/**
 * Markers that make the scorer answer on purpose, in a customer id or a payment token: the scorer
 * is deterministic, so a test or the demo picks an order's verdict by how it names the customer.
 */
export const FRAUD_TEST_MARKERS = { doubtful: 'fraud-doubtful', fraud: 'fraud-certain', silent: 'fraud-silent' } as const;

/** The score of each verdict: a real scorer's would vary, the rule from score to verdict would not. */
const SCORE_OF: Readonly<Record<FraudVerdict, number>> = { clean: 0.05, doubtful: 0.55, fraud: 0.97 };

const marked = (command: ScoreFraudData, marker: string): boolean => command.customerId.includes(marker) || command.paymentToken.includes(marker);

/** The verdict on an order, or undefined when the scorer is to stay silent. */
export function verdictOf(command: ScoreFraudData): FraudVerdict | undefined {
  if (marked(command, FRAUD_TEST_MARKERS.silent)) return undefined;
  if (marked(command, FRAUD_TEST_MARKERS.fraud)) return 'fraud';
  if (marked(command, FRAUD_TEST_MARKERS.doubtful)) return 'doubtful';
  return 'clean';
}

/** The fraud scorer: one stored score per order, the same whatever the bus redelivers. Scoring has no effect to undo. */
export function fraudParticipant(commandTopic: string): ParticipantSpec {
  return {
    name: 'fraud',
    commandTopic,
    handles: { ScoreFraud: { done: ['FraudScored'], failed: ['FraudScoringFailed'], check: checkScoreFraud } },
    outcomeTable: 'fraud_scores',
    outcomeColumns: { verdict: 'text', score: 'double precision' },
    transientFailure: () => ({ type: 'FraudScoringFailed', data: { reason: 'FRAUD_SCORER_UNAVAILABLE', retryable: true } }),
    async perform(_tx, commands): Promise<Performed[]> {
      return commands.map((command) => {
        if (command.type !== 'ScoreFraud') throw new Error(`fraud cannot handle ${command.type}`);
        const verdict = verdictOf(command.data as ScoreFraudData);
        if (verdict === undefined) return { kind: 'silent' };
        const score = SCORE_OF[verdict];
        return final({ type: 'FraudScored', data: { verdict, score } }, { verdict, score });
      });
    },
  };
}

/** The scorer's table, created by the order saga's bundle beside the other participants'. */
export async function migrateFraudScores(sql: SqlClient): Promise<void> {
  await migrate(sql, 7_100_014, [
    `create table if not exists fraud_scores (
       order_id text not null,
       operation text not null,
       verdict text,
       score double precision,
       outcome jsonb not null,
       created_at timestamptz not null default now(),
       primary key (order_id, operation))`,
  ]);
}

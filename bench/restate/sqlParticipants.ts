import * as restate from '@restatedev/restate-sdk';
import type pg from 'pg';
import { TEST_TOKENS } from '../../participants/payment.ts';
import type { Message } from '../../runtime/message.ts';
import { PARTICIPANTS } from '../baseline/baselineParticipants.ts';
import {
  compensationRetryPolicy,
  forwardRetryPolicy,
  type CaptureReply,
  type CaptureRequest,
  type InventoryService,
  type PaymentService,
  type RefundReply,
  type RefundRequest,
  type ReleaseReply,
  type ReserveReply,
  type ShipmentReply,
  type ShipmentRequest,
  type ShippingService,
  type StockRequest,
} from './participants.ts';

/**
 * The participant services with xsaga's side effects: each invocation writes the ledger,
 * stock, reservation and shipment rows to xsaga's participant tables in PostgreSQL, with the same
 * SQL and the same unique (order, operation) keys as the raw baseline's participants (it calls
 * them with a batch of one: Restate invokes a handler per call). What a Restate user would write
 * to get xsaga's outcome; same service names and signatures as the in-memory services.
 */
let commandSeq = 0;
const commandOf = (type: string, data: Record<string, unknown>): Message => ({
  type,
  data,
  metadata: { messageId: `restate/${++commandSeq}`, correlationId: String(data.orderId), causationId: '', occurredAt: new Date().toISOString() },
});

/** Performs one command; a transient outcome becomes a retryable error, which Restate retries under the handler's policy. */
async function perform<T>(db: pg.Pool, participant: keyof typeof PARTICIPANTS, command: Message, silent?: () => Promise<never>): Promise<T> {
  const answer = (await PARTICIPANTS[participant](db, [command])).get(command);
  if (!answer) return silent ? silent() : Promise.reject(new restate.TerminalError(`${participant} gave no answer`));
  const { retryable, reason } = (answer.reply.data ?? {}) as { retryable?: boolean; reason?: string };
  if (retryable === true) throw new Error(reason ?? 'transient failure');
  return answer.reply as T;
}

export function createSqlPaymentService(db: pg.Pool, maxAttempts: number): PaymentService {
  const attempts = new Map<string, number>();
  return restate.service({
    name: 'payment',
    handlers: {
      capture: restate.createServiceHandler(
        { retryPolicy: forwardRetryPolicy(maxAttempts), ingressPrivate: true },
        async (ctx: restate.Context, request: CaptureRequest): Promise<CaptureReply> => {
          const attempt = (attempts.get(request.orderId) ?? 0) + 1;
          attempts.set(request.orderId, attempt);
          const noAnswer = request.paymentToken === TEST_TOKENS.noAnswer ? () => ctx.awakeable<never>().promise : undefined;
          return perform<CaptureReply>(db, 'payment', commandOf('CapturePayment', { ...request, attempt }), noAnswer);
        },
      ),
      refund: restate.createServiceHandler(
        { retryPolicy: compensationRetryPolicy, ingressPrivate: true },
        async (_ctx: restate.Context, request: RefundRequest): Promise<RefundReply> => perform<RefundReply>(db, 'payment', commandOf('RefundPayment', { ...request, attempt: 1 })),
      ),
    },
  });
}

export function createSqlInventoryService(db: pg.Pool, maxAttempts: number): InventoryService {
  return restate.service({
    name: 'inventory',
    handlers: {
      reserve: restate.createServiceHandler(
        { retryPolicy: forwardRetryPolicy(maxAttempts), ingressPrivate: true },
        async (_ctx: restate.Context, request: StockRequest): Promise<ReserveReply> => perform<ReserveReply>(db, 'inventory', commandOf('ReserveStock', { ...request, attempt: 1 })),
      ),
      release: restate.createServiceHandler(
        { retryPolicy: compensationRetryPolicy, ingressPrivate: true },
        async (_ctx: restate.Context, request: StockRequest): Promise<ReleaseReply> => perform<ReleaseReply>(db, 'inventory', commandOf('ReleaseStock', { ...request, attempt: 1 })),
      ),
    },
  });
}

export function createSqlShippingService(db: pg.Pool, maxAttempts: number): ShippingService {
  return restate.service({
    name: 'shipping',
    handlers: {
      create: restate.createServiceHandler(
        { retryPolicy: forwardRetryPolicy(maxAttempts), ingressPrivate: true },
        async (_ctx: restate.Context, request: ShipmentRequest): Promise<ShipmentReply> => perform<ShipmentReply>(db, 'shipping', commandOf('CreateShipment', { ...request, attempt: 1 })),
      ),
    },
  });
}

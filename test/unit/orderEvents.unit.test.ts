import { describe, expect, it } from 'vitest';
import { sagaCatalog } from '../../app/sagaCatalog.ts';
import { orderSagaEvents, orderSagaV2Events } from '../../orders/orderEvents.ts';
import { orderSagaDefinition } from '../../orders/orderSagaDefinition.ts';
import { topicsFor } from '../../orders/topics.ts';
import { MachineRegistry } from '../../runtime/sagaDefinition.ts';
import { commandChecks } from '../../participants/commandSchemas.ts';
import { checkScoreFraud } from '../../participants/fraud.ts';
import { replyMeanings } from '../../runtime/safety/participantContract.ts';
import { participantsOfSaga } from '../../runtime/safety/sagaParticipants.ts';

describe("the order saga's event rules", () => {
  const catalog = sagaCatalog();
  // The participants as the order saga sees them: a participant may serve other sagas too (the returns' refund).
  const participants = participantsOfSaga(catalog.registry.get('orderSaga', 2)!, catalog.participants, catalog.registry.all());

  it('name, for every reply a participant can send, exactly the commands it answers (v2 takes every reply, v1 all but the scorer\'s)', () => {
    const meanings = replyMeanings(participants);
    for (const [reply, meaning] of meanings) {
      expect(orderSagaV2Events[reply as keyof typeof orderSagaV2Events]?.answers, reply).toEqual(meaning.map((m) => m.command));
    }
    const replies = (events: object) => Object.entries(events).filter(([, rule]) => 'answers' in rule && rule.answers !== undefined).map(([type]) => type);
    expect(replies(orderSagaV2Events).sort()).toEqual([...meanings.keys()].sort());
    expect(replies(orderSagaEvents).sort()).toEqual([...meanings.keys()].filter((reply) => !reply.startsWith('Fraud')).sort());
  });

  it("v2's events: the scorer's verdicts, and an operator's decision that says who", () => {
    const { FraudScored, FraudScoringFailed, FraudReviewApproved, OrderPlaced } = orderSagaV2Events;
    expect(FraudScored.check({ verdict: 'doubtful', score: 0.55 })).toBeUndefined();
    expect(FraudScored.check({ verdict: 'maybe', score: 0.55 })).toMatch(/^data\.verdict: /);
    expect(FraudScored.check({ verdict: 'clean', score: 2 })).toMatch(/^data\.score: /);
    expect(FraudScoringFailed.check({ reason: 'FRAUD_SCORER_UNAVAILABLE', retryable: true })).toBeUndefined();
    expect(FraudReviewApproved.check({ operator: 'ops-1', reason: 'known customer' })).toBeUndefined();
    expect(FraudReviewApproved.check({ reason: 'no operator' })).toMatch(/^data\.operator: /);
    const placed = (settings: object) => ({
      order: { orderId: 'o', customerId: 'c', currency: 'EUR', items: [{ sku: 'S', quantity: 1, unitPrice: 1 }], total: 1, paymentToken: 't', placedAt: '2030-01-01T00:00:00.000Z',
        shippingAddress: { name: 'A', line1: 'L', city: 'C', postalCode: 'P', country: 'DE' } },
      settings: { paymentTimeoutMs: 1000, maxAttempts: 3, ...settings },
    });
    expect(OrderPlaced.check(placed({ fraudReviewAboveMinor: 100_000, fraudReviewDeadlineMs: 60_000 }))).toBeUndefined();
    expect(OrderPlaced.check(placed({ fraudReviewAboveMinor: -1 }))).toMatch(/^data\.settings\.fraudReviewAboveMinor: /);
  });

  it('take the data the participants send and refuse what no participant sends', () => {
    const { PaymentCaptured, PaymentFailed, StockReserved, ShipmentCreated } = orderSagaEvents;
    expect(PaymentCaptured.check({ amount: 4_999 })).toBeUndefined();
    expect(PaymentFailed.check({ reason: 'PAYMENT_DECLINED', retryable: false })).toBeUndefined();
    expect(StockReserved.check({})).toBeUndefined();
    expect(ShipmentCreated.check({ shipmentId: 'shp-1', carrier: 'extra fields are let through' })).toBeUndefined();
    expect(PaymentCaptured.check(null)).toMatch(/^data: /);
    expect(PaymentCaptured.check({ amount: -1 })).toMatch(/^data\.amount: /);
    expect(PaymentCaptured.check({ amount: 1.5 })).toMatch(/^data\.amount: /);
    expect(PaymentFailed.check({ reason: 'X' })).toMatch(/^data\.retryable: /);
    expect(ShipmentCreated.check({ shipmentId: '' })).toMatch(/^data\.shipmentId: /);
  });

  it('check every command a participant performs', () => {
    const checks = { ...commandChecks, ScoreFraud: checkScoreFraud };
    for (const participant of participants) {
      for (const [command, contract] of Object.entries(participant.handles)) expect(contract.check, `${participant.name} ${command}`).toBe(checks[command as keyof typeof checks]);
    }
    expect(commandChecks.ReserveStock({ orderId: 'o', items: [{ sku: 'SKU-1', quantity: 0, unitPrice: 1 }], attempt: 1 })).toMatch(/^data\.items\[0\]\.quantity: /);
  });

  it('are required of every event the machine listens for: a definition without one is refused', () => {
    const { ShipmentFailed: _dropped, ...incomplete } = orderSagaEvents;
    const definition = { ...orderSagaDefinition(topicsFor()), events: incomplete };
    expect(() => new MachineRegistry().register(definition)).toThrow(expect.objectContaining({ code: 'CONFIG', message: expect.stringContaining('accepts ShipmentFailed') }));
  });
});

import { describe, expect, it } from 'vitest';
import { sagaCatalog } from '../../app/sagaCatalog.ts';
import { participantsOfSaga } from '../../runtime/safety/sagaParticipants.ts';
import { orderSagaEvents } from '../../orders/orderEvents.ts';
import { orderSagaDefinition } from '../../orders/orderSagaDefinition.ts';
import { topicsFor } from '../../orders/topics.ts';
import { MachineRegistry } from '../../runtime/sagaDefinition.ts';
import { commandChecks } from '../../participants/commandSchemas.ts';
import { replyMeanings } from '../../runtime/safety/participantContract.ts';

describe("the order saga's event rules", () => {
  // The participants as the order saga sees them: the returns' commands on them are the returns' to check.
  const catalog = sagaCatalog();
  const participants = participantsOfSaga(catalog.registry.latest('orderSaga')!, catalog.participants, catalog.registry.all());

  it('name, for every reply a participant can send, exactly the commands it answers', () => {
    const meanings = replyMeanings(participants);
    for (const [reply, meaning] of meanings) {
      expect(orderSagaEvents[reply as keyof typeof orderSagaEvents]?.answers, reply).toEqual(meaning.map((m) => m.command));
    }
    const replies = Object.entries(orderSagaEvents).filter(([, rule]) => 'answers' in rule && rule.answers !== undefined);
    expect(replies.map(([type]) => type).sort()).toEqual([...meanings.keys()].sort());
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
    for (const participant of participants) {
      for (const [command, contract] of Object.entries(participant.handles)) expect(contract.check, `${participant.name} ${command}`).toBe(commandChecks[command as keyof typeof commandChecks]);
    }
    expect(commandChecks.ReserveStock({ orderId: 'o', items: [{ sku: 'SKU-1', quantity: 0, unitPrice: 1 }], attempt: 1 })).toMatch(/^data\.items\[0\]\.quantity: /);
  });

  it('are required of every event the machine listens for: a definition without one is refused', () => {
    const { ShipmentFailed: _dropped, ...incomplete } = orderSagaEvents;
    const definition = { ...orderSagaDefinition(topicsFor()), events: incomplete };
    expect(() => new MachineRegistry().register(definition)).toThrow(expect.objectContaining({ code: 'CONFIG', message: expect.stringContaining('accepts ShipmentFailed') }));
  });
});

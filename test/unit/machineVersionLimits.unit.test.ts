import { describe, expect, it } from 'vitest';
import { sagaCatalog, type SagaCatalog } from '../../app/sagaCatalog.ts';
import { orderSagaMigration } from '../../orders/orderSagaMigration.ts';
import { startEmbedded } from '../support/embeddedSystem.ts';
import { placeOrderBody } from '../support/orderRequests.ts';

const withVersions = (setting: string) => sagaCatalog({ env: { XSAGA_MACHINE_VERSIONS: setting } });
const versionsOf = (catalog: SagaCatalog, sagaId: string) => catalog.registry.all().filter((definition) => definition.machine.id === sagaId).map((definition) => definition.version);

describe('XSAGA_MACHINE_VERSIONS: the newest version of a saga this process registers', () => {
  it('registers the order saga up to v1 only, and leaves the other sagas and, without it, every version registered', () => {
    const everything = sagaCatalog();
    expect(everything.registry.latest('orderSaga')?.version).toBe(2);
    expect(everything.migrations).toContain(orderSagaMigration);

    const before = withVersions('orderSaga:1');
    expect(before.registry.latest('orderSaga')?.version).toBe(1);
    expect(before.registry.get('orderSaga', 2)).toBeUndefined();
    // A migration into a version the process does not register cannot run there.
    expect(before.migrations).not.toContain(orderSagaMigration);
    expect(versionsOf(before, 'returnSaga')).toEqual(versionsOf(everything, 'returnSaga'));
    expect(withVersions(' orderSaga:2 , ').registry.latest('orderSaga')?.version).toBe(2);
  });

  it('refuses, as a configuration error, a saga the system does not host, a version its saga does not register, and anything else', () => {
    expect(() => withVersions('orderSaga:3')).toThrow('XSAGA_MACHINE_VERSIONS: orderSaga:3 names a version orderSaga does not register (it registers 1, 2)');
    expect(() => withVersions('orderSaga:1,ticketSaga:1')).toThrow('XSAGA_MACHINE_VERSIONS: ticketSaga is no saga of this system (it hosts orderSaga, returnSaga)');
    expect(() => withVersions('orderSaga:1,orderSaga:2')).toThrow('XSAGA_MACHINE_VERSIONS: orderSaga is named twice');
    for (const malformed of ['orderSaga', 'orderSaga:0', 'orderSaga:v1', 'orderSaga=1', ':1']) {
      expect(() => withVersions(malformed), malformed).toThrow(`XSAGA_MACHINE_VERSIONS: each entry is <saga id>:<version>, not "${malformed}"`);
    }
  });

  it('makes a system start new orders on the newest version it names', { timeout: 120_000 }, async () => {
    const system = await startEmbedded({ XSAGA_MACHINE_VERSIONS: 'orderSaga:1' });
    try {
      const { orderId } = await system.orders.placeOrder(placeOrderBody());
      expect((await system.adapters.store.load(orderId))?.head.machineVersion).toBe(1);
    } finally {
      await system.stop();
    }
  });
});

import { createServer } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { runInspectCommand } from '../../app/commands/inspect.ts';
import { DEFAULT_INSPECT_PORT, inspectOptionsFrom, inspectSystem, startSagaInspector, type SagaInspector } from '../../app/inspect.ts';
import type { System } from '../../app/system.ts';
import { startEmbedded, tempDataDir } from '../support/embeddedSystem.ts';
import { eventually } from '../support/eventually.ts';
import { placeOrderBody, shippingAddress } from '../support/orderRequests.ts';

/** What `@statelyai/inspect` sends for an actor: its registration, the events it got, its snapshots. */
type InspectionEvent = Readonly<{ type: string; sessionId: string; name?: string; definition?: string; event?: { type: string }; snapshot?: { value?: unknown } }>;

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

/** A client of the inspector's WebSocket server, standing in for the Stately inspector page. */
async function watch(url: string): Promise<{ received: InspectionEvent[]; close: () => void }> {
  const socket = new WebSocket(url);
  const received: InspectionEvent[] = [];
  socket.addEventListener('message', (message) => received.push(JSON.parse(String(message.data)) as InspectionEvent));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no connection to ${url}`)), 5_000);
    socket.addEventListener('open', () => {
      clearTimeout(timer);
      resolve();
    });
    socket.addEventListener('error', () => reject(new Error(`cannot connect to ${url}`)));
  });
  return { received, close: () => socket.close() };
}

/** The transitions one actor reported: the event and the state it led to. */
const transitionsOf = (received: readonly InspectionEvent[], name: string) => {
  const session = received.find((e) => e.type === '@xstate.actor' && e.name === name)?.sessionId;
  return received.filter((e) => e.type === '@xstate.snapshot' && e.sessionId === session).map((e) => [(e as { event: { type: string } }).event.type, e.snapshot?.value]);
};

let system: System;
const orders: Record<string, string> = {};

/** The flaky payment's retries fit inside it with room on a busy machine; the unanswered one waits it out. */
const PAYMENT_TIMEOUT_MS = 4_000;

beforeAll(async () => {
  system = await startEmbedded({ XSAGA_PAYMENT_TIMEOUT_MS: String(PAYMENT_TIMEOUT_MS) });
  orders.undeliverable = (await system.orders.placeOrder(placeOrderBody({ shippingAddress: shippingAddress({ country: 'ZZ' }) }))).orderId;
  orders.timeout = (await system.orders.placeOrder(placeOrderBody({ paymentToken: 'tok_no_answer' }))).orderId;
  // Wait for each order by id: a count of pending orders is also zero before anything is projected.
  await eventually(
    async () => {
      for (const id of Object.values(orders)) expect(['COMPLETED', 'FAILED']).toContain((await system.adapters.readModel.get(id))?.status);
    },
    { timeoutMs: PAYMENT_TIMEOUT_MS + 15_000 },
  );
});

afterAll(async () => {
  await system?.stop();
});

describe('inspectOptionsFrom', () => {
  it.each([
    [[], {}, undefined],
    [['--inspect'], {}, { port: DEFAULT_INSPECT_PORT }],
    [['--inspect=9333'], {}, { port: 9333 }],
    [[], { XSAGA_INSPECT: '1' }, { port: DEFAULT_INSPECT_PORT }],
    [[], { XSAGA_INSPECT: 'true' }, { port: DEFAULT_INSPECT_PORT }],
    [[], { XSAGA_INSPECT: '9444' }, { port: 9444 }],
    [[], { XSAGA_INSPECT: 'false' }, undefined],
    [['--inspect=9333'], { XSAGA_INSPECT: '0' }, { port: 9333 }],
  ] as const)('reads %j with %j as %j', (args, env, expected) => {
    expect(inspectOptionsFrom(args, env)).toEqual(expected);
  });

  it.each([[['--inspect=http']], [['--inspect=70000']]])('refuses %j with a CONFIG error', (args) => {
    expect(() => inspectOptionsFrom(args, {})).toThrow(/--inspect must be 1, true or a port/);
  });
});

describe('the saga inspector (a WebSocket client stands in for the Stately inspector, which is a web app out of reach here)', () => {
  let inspector: SagaInspector;
  let client: Awaited<ReturnType<typeof watch>>;
  beforeAll(async () => {
    inspector = await startSagaInspector({ store: system.adapters.store, registry: system.registry, port: await freePort() });
  });
  afterEach(() => client?.close());
  afterAll(async () => {
    await inspector?.stop();
  });

  it('restores one saga on demand and streams its transitions, executing nothing', async () => {
    client = await watch(inspector.webSocketUrl);
    // The relay marks what it published a moment later: let those marks land before the outbox is looked at.
    await system.relay.idle();
    const head = await system.adapters.store.load(orders.undeliverable!);
    const outboxBefore = await system.adapters.store.outboxOfActiveStreams();
    const pendingBefore = await system.adapters.store.pendingOutbox(1000);

    const inspected = await inspector.inspect(orders.undeliverable!);
    expect(inspected).toEqual({ streamId: orders.undeliverable, version: 6, value: 'failed', status: 'done' });
    await eventually(() =>
      expect(transitionsOf(client.received, orders.undeliverable!)).toEqual([
        ['xstate.init', { payment: 'capturing' }],
        ['PaymentCaptured', { inventory: 'reserving' }],
        ['StockReserved', { shipping: 'creating' }],
        ['ShipmentFailed', { compensating: { releasingStock: 'releasing' } }],
        ['StockReleased', { compensating: { refundingPayment: 'refunding' } }],
        ['PaymentRefunded', 'failed'],
      ]),
    );
    // The actor registration carries the definition the Stately inspector draws.
    const actor = client.received.find((e) => e.type === '@xstate.actor' && e.name === orders.undeliverable)!;
    expect(JSON.parse(actor.definition!)).toMatchObject({ id: 'orderSaga', initial: 'payment' });
    // The inspector is a web app: the order's payment token reaches it masked, in the context and in the start event.
    const sent = JSON.stringify(client.received);
    expect(sent).not.toContain('tok_visa');
    expect(sent).toContain('"paymentToken":"tok_****"');
    // No side effect: the stream, the outbox and the participants' ledgers are as they were.
    expect(await system.adapters.store.load(orders.undeliverable!)).toEqual(head);
    expect(await system.adapters.store.outboxOfActiveStreams()).toEqual(outboxBefore);
    expect(await system.adapters.store.pendingOutbox(1000)).toEqual(pendingBefore);
    const ledger = await system.adapters.sql.query<{ n: number }>('select count(*)::int as n from payment_ledger where order_id = $1', [orders.undeliverable]);
    expect(ledger.rows[0]!.n).toBe(2);
  });

  it('replays a fired deadline from the stream, and restores the latest state only when asked', async () => {
    client = await watch(inspector.webSocketUrl);
    await inspector.inspect(orders.timeout!);
    await eventually(() =>
      expect(transitionsOf(client.received, orders.timeout!)).toEqual([
        ['xstate.init', { payment: 'capturing' }],
        ['xstate.after.paymentTimeout.orderSaga.payment', { compensating: { refundingPayment: 'refunding' } }],
        ['PaymentRefunded', 'failed'],
      ]),
    );
    expect(await inspector.inspect(orders.timeout!, { from: 'latest' })).toMatchObject({ value: 'failed', status: 'done' });
    expect(await inspector.inspect('no-such-saga')).toBeUndefined();
  });

  it('follows sagas as they move, from their facts on the bus (what --inspect runs)', async () => {
    const live = await inspectSystem(system, { port: await freePort() });
    client = await watch(live.webSocketUrl);
    try {
      const { orderId } = await system.orders.placeOrder(placeOrderBody({ paymentToken: 'tok_flaky' }));
      await eventually(
        () =>
          expect(transitionsOf(client.received, orderId).map(([, value]) => value)).toEqual([
            { payment: 'capturing' },
            { payment: 'backingOff' },
            { payment: 'capturing' },
            { payment: 'backingOff' },
            { payment: 'capturing' },
            { inventory: 'reserving' },
            { shipping: 'creating' },
            'completed',
          ]),
        { timeoutMs: 10_000 },
      );
      expect(JSON.stringify(client.received)).not.toContain('tok_flaky');
    } finally {
      client.close();
      await live.stop();
    }
  });

  it('refuses a port that is taken, with a message that says how to choose another', async () => {
    const taken = Number(new URL(inspector.webSocketUrl).port);
    await expect(startSagaInspector({ store: system.adapters.store, registry: system.registry, port: taken })).rejects.toThrow(/--inspect=<port>/);
  });
});

describe('xsaga inspect <sagaId>', () => {
  afterEach(() => vi.restoreAllMocks());

  // It opens an on-disk embedded database three times (the system, then each inspect): tens of seconds on a loaded machine.
  it('restores a saga of a stopped embedded system on demand, and says when there is none', { timeout: 120_000 }, async () => {
    const data = await tempDataDir();
    try {
      const stopped = await startEmbedded({ XSAGA_DATA_DIR: data.dir });
      const { orderId } = await stopped.orders.placeOrder(placeOrderBody());
      await eventually(async () => expect((await stopped.adapters.readModel.get(orderId))?.status).toBe('COMPLETED'), { timeoutMs: 15_000 });
      await stopped.stop();

      const printed: string[] = [];
      vi.spyOn(console, 'log').mockImplementation((line: unknown) => void printed.push(String(line)));
      vi.spyOn(console, 'error').mockImplementation((line: unknown) => void printed.push(String(line)));
      const env = { XSAGA_DATA_DIR: data.dir };
      expect(await runInspectCommand([orderId, '--exit', '--port', String(await freePort())], env)).toBe(0);
      expect(printed).toContain(`saga ${orderId} at version 4: "completed" (done)`);
      expect(await runInspectCommand(['no-such-saga', '--exit', '--port', String(await freePort())], env)).toBe(1);
      expect(await runInspectCommand([], env)).toBe(2);
    } finally {
      await data.remove();
    }
  });
});

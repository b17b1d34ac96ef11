import type { Server } from 'node:http';
import { createApi } from '../api/createApi.ts';
import { createOrderService, type OrderService } from '../orders/orderService.ts';
import { orderSagaDefinition } from '../orders/orderSagaDefinition.ts';
import type { OrderReadModel } from '../orders/orderReadModel.ts';
import { startProjector } from '../orders/projector.ts';
import { rebuildReadModel } from '../orders/rebuildReadModel.ts';
import { allTopics, topicsFor, type Topics } from '../orders/topics.ts';
import { inventoryParticipant } from '../participants/inventory.ts';
import { startParticipant } from '../participants/participant.ts';
import { paymentParticipant } from '../participants/payment.ts';
import { migrateParticipants } from '../participants/schema.ts';
import { shippingParticipant } from '../participants/shipping.ts';
import { systemClock, type Clock } from '../runtime/clock.ts';
import type { IdempotencyGuard } from '../runtime/idempotencyGuard.ts';
import type { MessageBus, Subscription } from '../runtime/messageBus.ts';
import { createOutboxRelay, type OutboxRelay } from '../runtime/outboxRelay.ts';
import { MachineRegistry, type SagaDefinition } from '../runtime/sagaDefinition.ts';
import { createSagaRuntime, type SagaRuntime } from '../runtime/sagaRuntime.ts';
import type { SagaStore } from '../runtime/sagaStore.ts';
import type { SqlClient } from '../runtime/sqlClient.ts';
import { createTimerScheduler, type TimerScheduler } from '../runtime/timerScheduler.ts';
import type { Config } from './config.ts';

/** The adapters behind every port; embedded or production, the system is wired the same way. */
export type SystemAdapters = Readonly<{
  sql: SqlClient;
  store: SagaStore;
  bus: MessageBus;
  readModel: OrderReadModel;
  guard: IdempotencyGuard;
  /** The bus forgets messages on restart: replay the outbox of unfinished sagas, and rebuild the read model. */
  volatileBus: boolean;
  close(): Promise<void>;
}>;

export type System = Readonly<{
  config: Config;
  adapters: SystemAdapters;
  topics: Topics;
  definition: SagaDefinition;
  registry: MachineRegistry;
  runtime: SagaRuntime;
  orders: OrderService;
  relay: OutboxRelay;
  scheduler: TimerScheduler;
  /** Where the API listens, once `listen` was called. */
  url?: string;
  listen(port?: number): Promise<string>;
  stop(): Promise<void>;
}>;

export type SystemOptions = Readonly<{
  config: Config;
  adapters: SystemAdapters;
  clock?: Clock;
  topicPrefix?: string;
  log?: (message: string) => void;
  random?: () => number;
}>;

/**
 * Wires every role of xsaga into one process: API, saga worker, participants, projector,
 * outbox relay and timer scheduler.
 */
export async function startSystem(options: SystemOptions): Promise<System> {
  const { config, adapters } = options;
  const clock = options.clock ?? systemClock;
  const log = options.log ?? ((message: string) => console.error(message));
  const topics = topicsFor(options.topicPrefix);
  const definition = orderSagaDefinition(topics);
  const registry = new MachineRegistry().register(definition);

  await migrateParticipants(adapters.sql);
  await adapters.bus.ensureTopics(allTopics(topics));

  const relay = createOutboxRelay({ store: adapters.store, bus: adapters.bus, log });
  const runtime = createSagaRuntime({
    store: adapters.store,
    registry,
    cacheSize: config.actorCacheSize,
    snapshotEvery: config.snapshotEvery,
    onCommitted: () => relay.wake(),
    log,
  });
  const scheduler = createTimerScheduler({ store: adapters.store, inboxTopic: topics.sagaInbox, clock, onFired: () => relay.wake(), log });

  if (adapters.volatileBus) {
    await rebuildReadModel(adapters.store, registry, adapters.readModel);
    const unfinished = await adapters.store.outboxOfActiveStreams();
    await adapters.bus.publish(unfinished.map((record) => record.envelope));
  }

  const subscriptions: Subscription[] = [];
  subscriptions.push(
    await adapters.bus.subscribe({
      group: 'xsaga-saga-worker',
      topics: [topics.sagaInbox],
      maxBatchSize: 1000,
      handler: ({ messages }) => runtime.handle(messages),
      onRevoked: () => runtime.evict(),
    }),
  );
  const participantDeps = { sql: adapters.sql, bus: adapters.bus, guard: adapters.guard, clock, replyTopic: topics.sagaInbox, chaos: config.chaos, random: options.random };
  for (const spec of [paymentParticipant(topics.paymentCommands), inventoryParticipant(topics.inventoryCommands), shippingParticipant(topics.shippingCommands)]) {
    subscriptions.push(await startParticipant(spec, participantDeps));
  }
  subscriptions.push(await startProjector({ bus: adapters.bus, topic: topics.orderEvents, readModel: adapters.readModel }));

  const orders = createOrderService({
    runtime,
    store: adapters.store,
    definition,
    readModel: adapters.readModel,
    clock,
    settings: { paymentTimeoutMs: config.paymentTimeoutMs, maxAttempts: config.maxAttempts },
  });
  const api = createApi({
    orders,
    readModel: adapters.readModel,
    log,
    health: async () => {
      await adapters.sql.query('select 1');
      return { eventStore: 'ok' };
    },
  });

  let server: Server | undefined;
  const system: System = {
    config,
    adapters,
    topics,
    definition,
    registry,
    runtime,
    orders,
    relay,
    scheduler,
    async listen(port = config.port) {
      server = await new Promise<Server>((resolve, reject) => {
        const s = api.listen(port, '127.0.0.1', () => resolve(s));
        s.once('error', reject);
      });
      const address = server.address();
      const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : port}`;
      (system as { url?: string }).url = url;
      return url;
    },
    async stop() {
      if (server) {
        server.closeAllConnections();
        await new Promise<void>((resolve) => server!.close(() => resolve()));
      }
      await scheduler.stop();
      for (const subscription of subscriptions) await subscription.stop();
      await relay.stop();
      await adapters.close();
    },
  };
  return system;
}

import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import { Router, type Express } from 'express';
import { deadLetterAdminRoutes } from '../api/admin/deadLetterAdminContract.ts';
import { deadLetterAdminRouter } from '../api/admin/deadLetterAdminRouter.ts';
import { sagaAdminRoutes } from '../api/admin/sagaAdminContract.ts';
import { sagaAdminRouter } from '../api/admin/sagaAdminRouter.ts';
import { createApi } from '../api/createApi.ts';
import { createHttpServer } from '../api/httpServer.ts';
import { startMetricsServer, type MetricsServer } from '../api/metricsServer.ts';
import { createOrderService, type OrderService } from '../orders/orderService.ts';
import type { OrderReadModel } from '../orders/orderReadModel.ts';
import { orderViewSpec } from '../orders/orderViewSpec.ts';
import { timeBoundReadModel } from '../orders/timeBoundReadModel.ts';
import { allTopics, consumerGroupsFor, topicsFor, type ConsumerGroups, type Topics } from '../orders/topics.ts';
import { startParticipant } from '../participants/participant.ts';
import { systemClock, type Clock } from '../runtime/clock.ts';
import type { DeadLetterSink } from '../runtime/deadLetter.ts';
import type { IdempotencyGuard } from '../runtime/idempotencyGuard.ts';
import type { Logger } from '../runtime/logger.ts';
import type { MessageBus, Subscription } from '../runtime/messageBus.ts';
import { createOperatorActions, type OperatorActions } from '../runtime/operatorActions.ts';
import { createOutboxRelay, type OutboxRelay } from '../runtime/outboxRelay.ts';
import { PROJECTOR, startProjector } from '../runtime/projector.ts';
import { rebuildViews } from '../runtime/rebuildViews.ts';
import { timeBoundViewStore } from '../runtime/timeBoundViewStore.ts';
import { createRetentionJob, type RetentionJob } from '../runtime/retentionJob.ts';
import type { MachineRegistry, SagaDefinition } from '../runtime/sagaDefinition.ts';
import { createSagaRuntime, SAGA_WORKER, type SagaRuntime } from '../runtime/sagaRuntime.ts';
import type { OutboxRecord, SagaStore } from '../runtime/sagaStore.ts';
import type { SqlClient } from '../runtime/sqlClient.ts';
import type { SagaViewBase, SagaViewSpec, SagaViewStore } from '../runtime/viewStore.ts';
import { createTimerScheduler, type TimerScheduler } from '../runtime/timerScheduler.ts';
import type { Config, Role } from './config.ts';
import type { SagaBundle, SagaRouteContext } from '../sdk/defineSaga.ts';
import { createSagaStarter, requestHashOf } from '../runtime/startSaga.ts';
import { sagaCatalog } from './sagaCatalog.ts';
import { systemConsumers } from './systemConsumers.ts';
import { createSystemMetrics, type SystemMetrics } from './systemMetrics.ts';

const ORDER_SAGA_ID = 'orderSaga';


/** The adapters behind every port; embedded or production, the system is wired the same way. */
export type SystemAdapters = Readonly<{
  sql: SqlClient;
  store: SagaStore;
  bus: MessageBus;
  /** The orders' view store. */
  readModel: OrderReadModel;
  /** Opens the view store of another saga's views (closed with the adapters). */
  openViewStore<TView extends SagaViewBase>(spec: SagaViewSpec<TView>): Promise<SagaViewStore<TView>>;
  guard: IdempotencyGuard;
  /** The bus forgets messages on restart: replay the outbox of unfinished sagas, and rebuild the read model. */
  volatileBus: boolean;
  /** Runs a role that must run in one process at a time; resolves to its stop function. */
  runSingleton(name: string, start: () => Promise<() => Promise<void>>): Promise<() => Promise<void>>;
  close(): Promise<void>;
}>;

/** Closes the ports of a set of adapters, the bus first so that no handler runs on a closed database. */
export async function closePorts(ports: Pick<SystemAdapters, 'bus' | 'readModel' | 'guard' | 'sql'> & { views?: readonly { close(): Promise<void> }[] }): Promise<void> {
  await ports.bus.close();
  await ports.readModel.close();
  for (const views of ports.views ?? []) await views.close();
  await ports.guard.close();
  await ports.sql.close();
}

export type System = Readonly<{
  config: Config;
  adapters: SystemAdapters;
  topics: Topics;
  groups: ConsumerGroups;
  definition: SagaDefinition;
  registry: MachineRegistry;
  runtime: SagaRuntime;
  /** Every hosted saga's view store, by machine id (reads not bounded in time). */
  viewStores: ReadonlyMap<string, SagaViewStore<SagaViewBase>>;
  orders: OrderService;
  relay: OutboxRelay;
  scheduler: TimerScheduler;
  /** Prunes the housekeeping tables; runs beside the relay, in its leader. */
  retention: RetentionJob;
  /** Retry, resume and cancel, as the admin routes and the CLI use them. */
  operatorActions: OperatorActions;
  /** The HTTP API as `listen` serves it, not listening: for tools that read its routes (the OpenAPI contract test). */
  httpApi(): Express;
  /** What this process counts and measures, served at `GET /metrics`. */
  metrics: SystemMetrics;
  /** Starts the HTTP API (role `api`) and resolves to its URL. */
  listen(port?: number): Promise<string>;
  /** Starts the keyless listener of `GET /metrics` (`XSAGA_METRICS_PORT`, `XSAGA_METRICS_HOST`) and resolves to its URL. */
  listenMetrics(port?: number, host?: string): Promise<string>;
  stop(): Promise<void>;
}>;

export type SystemOptions = Readonly<{
  config: Config;
  adapters: SystemAdapters;
  clock?: Clock;
  /** Where every role of this process logs; `app/createLogger.ts` makes the production one. */
  logger: Logger;
  random?: () => number;
  /** Adds Node's process metrics (CPU, memory, event loop, GC) to `/metrics`: the entry point's, once per process. */
  processMetrics?: boolean;
  /** The sagas to host; the system list (`app/sagas.ts`) by default. */
  sagas?: readonly SagaBundle[];
  /** Where each saga reads its own settings (`XSAGA_RETURN_…`): the environment `config` came from; `process.env` by default. */
  env?: Readonly<Record<string, string | undefined>>;
}>;

/**
 * Wires the roles this process runs (`config.roles`): API, saga worker, participants, projector,
 * and the outbox relay with the timer scheduler. Each role can run alone in its own process;
 * Kafka consumer groups share the work between processes of the same role.
 */
export async function startSystem(options: SystemOptions): Promise<System> {
  const { config } = options;
  const has = (role: Role) => config.roles.includes(role);
  const clock = options.clock ?? systemClock;
  const { logger } = options;
  const topics = topicsFor(config.production?.topicPrefix);
  const groups = consumerGroupsFor(config.production?.topicPrefix);
  const catalog = sagaCatalog({ prefix: topics.prefix, sagas: options.sagas, env: options.env });
  const registry = catalog.registry;
  const definition = registry.latest(ORDER_SAGA_ID)!;
  const metrics = createSystemMetrics({ mode: config.mode, roles: config.roles, processMetrics: options.processMetrics ?? false });
  const consumers = systemConsumers(catalog, groups);
  // Every batch handled and every commit is measured, whichever role does it.
  const adapters = metrics.measure(options.adapters, consumers);

  if (has('participants')) {
    for (const saga of catalog.sagas) await saga.parts.migrate?.(adapters.sql);
  }
  await adapters.bus.ensureTopics([
    ...new Set([...allTopics(topics), ...catalog.participants.map((spec) => spec.commandTopic), ...registry.all().map((definition) => definition.factsTopic)]),
  ]);

  const relay = createOutboxRelay({ store: adapters.store, bus: adapters.bus, logger, metrics: metrics.runtime });
  const runtime = createSagaRuntime({
    store: adapters.store,
    registry,
    cacheSize: config.actorCacheSize,
    snapshotEvery: config.snapshotEvery,
    // The writer publishes what it committed; the relay's sweep catches what a dead writer left.
    onCommitted: (outbox) => relay.dispatch(outbox),
    deadLetterTopic: topics.deadLetters,
    poisonAttempts: config.poisonAttempts,
    clock,
    logger,
    metrics: metrics.runtime,
  });
  // Participants and the projector commit nothing to the event store but their dead letters.
  const deadLetters: DeadLetterSink = {
    topic: topics.deadLetters,
    async record(letters) {
      relay.dispatch(await adapters.store.deadLetter(letters));
      // Their consumers know the saga's id, not its machine or version.
      for (const letter of letters) {
        logger.warn(
          { sagaId: letter.streamId || undefined, consumer: letter.consumer, messageId: letter.messageKey, reason: letter.reason, attempts: letter.attempts, error: letter.error },
          'dead-lettered a message',
        );
        metrics.runtime.deadLettered(letter.consumer, letter.reason, 1);
      }
    },
  };
  // Published by the process that fired them, like any writer's rows: a sweep of every pending row
  // here would also publish the rows other writers are publishing at that moment, a second time.
  const onTimersFired = (fired: readonly OutboxRecord[]) => {
    metrics.runtime.timersFired(fired.length);
    relay.dispatch(fired);
  };
  const scheduler = createTimerScheduler({ store: adapters.store, inboxTopic: topics.sagaInbox, clock, onFired: onTimersFired, logger });
  const retention = createRetentionJob({ store: adapters.store, policy: config.retention.policy, clock, intervalMs: config.retention.intervalMs, logger });
  const stops: (() => Promise<void>)[] = [];
  // Every saga's view store: the orders' is the one the adapters opened with them, the others open here.
  const viewStores = new Map<string, SagaViewStore<SagaViewBase>>();
  for (const saga of catalog.sagas) {
    viewStores.set(saga.id, saga.parts.view.name === orderViewSpec.name ? adapters.readModel : await adapters.openViewStore(saga.parts.view));
  }

  try {
    if (adapters.volatileBus) {
      for (const saga of catalog.sagas) await rebuildViews({ store: adapters.store, registry, machineId: saga.id, views: viewStores.get(saga.id)! });
      const unfinished = await adapters.store.outboxOfActiveStreams();
      await adapters.bus.publish(unfinished.map((record) => record.envelope));
    }

    if (has('worker')) {
      const worker = await adapters.bus.subscribe({
        group: groups.sagaWorker,
        topics: [topics.sagaInbox],
        maxBatchSize: 1000,
        handler: ({ messages }) => runtime.handle(messages),
        // Another worker may now own these sagas: cached actors would be stale, so drop them.
        onRevoked: () => runtime.evict(),
      });
      stops.push(() => worker.stop());
    }
    if (has('participants')) {
      const deps = { sql: adapters.sql, bus: adapters.bus, guard: adapters.guard, clock, replyTopic: topics.sagaInbox, chaos: config.chaos, random: options.random, deadLetters, metrics: metrics.runtime };
      for (const spec of catalog.participants) {
        const subscription: Subscription = await startParticipant(spec, { ...deps, group: groups.participant(spec.name) });
        stops.push(() => subscription.stop());
      }
    }
    if (has('projector')) {
      const projections = catalog.sagas.flatMap((saga) =>
        [...new Set(saga.parts.versions.map((definition) => definition.factsTopic))].map((topic) => ({ topic, store: viewStores.get(saga.id)!, spec: saga.parts.view })),
      );
      const projector = await startProjector({ bus: adapters.bus, projections, group: groups.projector, deadLetters, batchWindowMs: config.projectorBatchWindowMs, logger });
      stops.push(() => projector.stop());
    }
    if (has('relay')) {
      const relayGauges = metrics.watchRelay({ store: adapters.store, bus: adapters.bus, consumers });
      const stopSingleton = await adapters.runSingleton('relay', async () => {
        relayGauges.leading(true);
        const relayLoop = relay.start();
        const schedulerLoop = scheduler.start();
        const retentionLoop = config.retention.intervalMs > 0 ? retention.start() : undefined;
        return async () => {
          await retentionLoop?.stop();
          await schedulerLoop.stop();
          await relayLoop.stop();
          relayGauges.leading(false);
        };
      });
      stops.push(stopSingleton);
    }
  } catch (error) {
    // A role that did not start leaves nothing running (no subscription, no leader election): the caller may try again.
    for (const stop of [...stops].reverse()) await stop().catch(() => undefined);
    throw error;
  }

  // What the API reads answers in time or not at all: reads by id fall back to the event store, listings answer 503.
  const reads = timeBoundReadModel(adapters.readModel, { timeoutMs: config.readModelTimeoutMs });
  const orders = createOrderService({
    runtime,
    store: adapters.store,
    definition,
    readModel: reads,
    clock,
    settings: {
      paymentTimeoutMs: config.paymentTimeoutMs,
      maxAttempts: config.maxAttempts,
      retryBaseMs: config.retryBaseMs,
      retryMaxMs: config.retryMaxMs,
      parkAfterAttempts: config.parkAfterAttempts,
      fraudReviewAboveMinor: config.fraudReviewAboveMinor,
      fraudReviewDeadlineMs: config.fraudReviewDeadlineMs,
      fraudScoreTimeoutMs: config.fraudScoreTimeoutMs,
    },
    minVersionWaitMs: config.minVersionWaitMs,
  });

  // Where each consumer reads what it may have dead-lettered: a replay goes back there.
  // The projector reads every saga's facts: a fact goes back to the facts topic of its saga's machine.
  const replayTopicOf = async (consumer: string, streamId: string): Promise<string | undefined> => {
    if (consumer === SAGA_WORKER) return topics.sagaInbox;
    if (consumer !== PROJECTOR) return catalog.participants.find((spec) => spec.name === consumer)?.commandTopic;
    const head = streamId ? (await adapters.store.loadMany([streamId])).get(streamId)?.head : undefined;
    return head ? registry.get(head.machineId, head.machineVersion)?.factsTopic : undefined;
  };
  const operatorActions = createOperatorActions({ runtime, store: adapters.store, clock, newId: randomUUID, logger });

  const starter = createSagaStarter({ runtime, store: adapters.store });
  /** What a saga's routes may do in this process. */
  const routeContextOf = (sagaId: string): SagaRouteContext => {
    const latest = registry.latest(sagaId)!;
    return {
      definition: latest,
      clock,
      newId: randomUUID,
      start: (build, idempotency) => starter.start(latest, build, idempotency && { key: idempotency.key, requestHash: requestHashOf(idempotency.request) }),
      load: (streamId) => runtime.loadStored(streamId),
      send: (messages) => adapters.bus.publish(messages.map((message) => ({ topic: topics.sagaInbox, key: message.metadata.correlationId, message }))),
      signal: (request) => operatorActions.signal(request),
    };
  };
  const sagaRoutes = catalog.sagas.flatMap((saga) => (saga.parts.routes ? [saga.parts.routes(routeContextOf(saga.id))] : []));

  // What the dashboard, the admin routes and the saga gauges read, per machine, each read bounded in time.
  const readModels = Object.fromEntries(
    [...viewStores].map(([sagaId, views]) => [sagaId, sagaId === definition.machine.id ? reads : timeBoundViewStore(views, { timeoutMs: config.readModelTimeoutMs })]),
  );

  function httpApi(): Express {
    return createApi({
      orders,
      readModel: reads,
      registry,
      store: adapters.store,
      readModels,
      apiKeys: config.apiKeys,
      admin: Router().use(
        sagaAdminRouter({ actions: operatorActions, readModels, store: adapters.store }),
        deadLetterAdminRouter({ store: adapters.store, topicOf: replayTopicOf, publish: (envelopes) => adapters.bus.publish(envelopes) }),
      ),
      adminRoutes: [...sagaAdminRoutes(Object.keys(readModels)), ...deadLetterAdminRoutes],
      logger,
      readiness: {
        eventStore: async () => void (await adapters.sql.query('select 1')),
        readModel: () => reads.ping(),
      },
      readinessTimeoutMs: config.readModelTimeoutMs,
      metrics: { exposition: metrics.exposition, http: metrics.http },
      sagaRoutes,
    });
  }

  let server: Server | undefined;
  let metricsServer: MetricsServer | undefined;
  return {
    config,
    adapters,
    topics,
    groups,
    definition,
    registry,
    runtime,
    viewStores,
    orders,
    relay,
    scheduler,
    retention,
    operatorActions,
    httpApi,
    metrics,
    async listen(port = config.port) {
      if (!server) metrics.watchSagas({ machines: registry, readModels, store: adapters.store });
      const api = httpApi();
      server = await new Promise<Server>((resolve, reject) => {
        const s = createHttpServer(api).listen(port, '127.0.0.1', () => resolve(s));
        s.once('error', reject);
      });
      // Longer than any client's idle keep-alive: a server closing first races a reused connection (ECONNRESET).
      server.keepAliveTimeout = 65_000;
      server.headersTimeout = 66_000;
      const address = server.address();
      return `http://127.0.0.1:${typeof address === 'object' && address ? address.port : port}`;
    },
    async listenMetrics(port = config.metrics.port ?? 0, host = config.metrics.host) {
      metricsServer ??= await startMetricsServer(metrics.exposition, { host, port, logger });
      return metricsServer.url;
    },
    async stop() {
      await metricsServer?.close();
      if (server) {
        server.closeAllConnections();
        await new Promise<void>((resolve) => server!.close(() => resolve()));
      }
      for (const stop of stops.reverse()) await stop();
      // What this process committed last is published before the bus closes, not left to the next sweep.
      await relay.idle();
      await adapters.close();
    },
  };
}

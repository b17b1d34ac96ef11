import { connect, createServer } from 'node:net';
import { hostname } from 'node:os';
import { createWebSocketInspector } from '@statelyai/inspect';
import { createInspectorServer } from '@statelyai/inspect/server';
import { maskSecrets } from '../api/maskSecrets.ts';
import { XsagaError } from '../runtime/errors.ts';
import { foldStream } from '../runtime/foldStream.ts';
import { silentLogger, type Logger } from '../runtime/logger.ts';
import type { MessageBus, Subscription } from '../runtime/messageBus.ts';
import type { MachineRegistry } from '../runtime/sagaDefinition.ts';
import { replayStream } from '../runtime/sagaRuntime.ts';
import type { SagaStore } from '../runtime/sagaStore.ts';
import { showFoldedSagas, type ShownSaga } from './showFoldedSagas.ts';
import type { System } from './system.ts';

export const DEFAULT_INSPECT_PORT = 8080;

export type InspectOptions = Readonly<{ port: number }>;

/**
 * `--inspect`, `--inspect=<port>`, or `XSAGA_INSPECT=1|true|<port>`: whether and where to serve
 * the inspector. Undefined when inspection is off.
 */
export function inspectOptionsFrom(args: readonly string[], env: Readonly<Record<string, string | undefined>>): InspectOptions | undefined {
  const flag = args.find((arg) => arg === '--inspect' || arg.startsWith('--inspect='));
  const raw = flag !== undefined ? (flag.split('=')[1] ?? 'true') : env.XSAGA_INSPECT?.trim();
  if (raw === undefined || raw === '' || raw === '0' || raw === 'false') return undefined;
  if (raw === '1' || raw === 'true') return { port: DEFAULT_INSPECT_PORT };
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new XsagaError('CONFIG', `${flag !== undefined ? '--inspect' : 'XSAGA_INSPECT'} must be 1, true or a port from 1 to 65535, got "${raw}"`);
  }
  return { port };
}

export type InspectedSaga = Readonly<{ streamId: string; version: number; value: unknown; status: string }>;

export type SagaInspector = Readonly<{
  /** The page that bridges to Stately's inspector: open it in a browser. */
  url: string;
  /** Where inspection events are published. */
  webSocketUrl: string;
  /**
   * Folds one saga's stream from the event store with the runtime's fold, which executes nothing,
   * and streams its transitions: from its first event (`start`, the whole path) or from its latest
   * snapshot. Undefined if there is no such saga.
   */
  inspect(streamId: string, options?: { from?: 'start' | 'latest' }): Promise<InspectedSaga | undefined>;
  /** Streams the transitions of every saga that moves from now on, as their facts arrive on the bus. */
  follow(bus: MessageBus, factsTopic: string): Promise<Subscription>;
  stop(): Promise<void>;
}>;

export type SagaInspectorOptions = Readonly<{
  store: SagaStore;
  registry: MachineRegistry;
  port: number;
  /** Live sagas followed at once; the one followed longest is dropped first. */
  maxActors?: number;
  logger?: Logger;
}>;

async function assertPortFree(port: number): Promise<void> {
  await new Promise<void>((resolve, reject) => {
    const probe = createServer();
    probe.once('error', (error: NodeJS.ErrnoException) =>
      reject(new XsagaError('CONFIG', `The inspector cannot listen on port ${port}: ${error.code ?? error.message}; choose another with --inspect=<port>`, { cause: error })),
    );
    probe.listen(port, () => probe.close(() => resolve()));
  });
}

async function waitUntilListening(port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect(port, '127.0.0.1', () => {
        socket.end();
        resolve(true);
      });
      socket.once('error', () => resolve(false));
    });
    if (open) return;
    if (Date.now() > deadline) throw new XsagaError('UNAVAILABLE', `The inspector server did not listen on port ${port} within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/**
 * Serves `@statelyai/inspect`'s WebSocket bridge on `port` and returns an inspector that replays
 * sagas from the event store into it. Nothing it does reaches a participant or the outbox.
 *
 * @example
 * const inspector = await startSagaInspector({ store, registry, port: 8080 });
 * await inspector.inspect(orderId); // open inspector.url to watch it in Stately's inspector
 */
export async function startSagaInspector(options: SagaInspectorOptions): Promise<SagaInspector> {
  const { store, registry, port } = options;
  const logger = options.logger ?? silentLogger;
  const maxActors = options.maxActors ?? 500;
  await assertPortFree(port);
  const server = createInspectorServer({ port, autoOpen: false });
  await waitUntilListening(port, 5_000);
  const webSocketUrl = `ws://127.0.0.1:${port}`;
  // The bridge serves every interface and the inspector is a web app: no payment token goes there.
  const inspector = createWebSocketInspector({ url: webSocketUrl, sanitizeContext: maskSecrets, sanitizeEvent: maskSecrets });
  const show = showFoldedSagas(inspector.inspect);
  const shown = new Map<string, ShownSaga>();
  const queues = new Map<string, Promise<unknown>>();
  const subscriptions: Subscription[] = [];

  /** One saga's work runs in order; different sagas run side by side. */
  function serially<T>(streamId: string, work: () => Promise<T>): Promise<T> {
    const run = (queues.get(streamId) ?? Promise.resolve()).then(work, work);
    const settled = run.catch(() => undefined);
    queues.set(streamId, settled);
    void settled.then(() => {
      if (queues.get(streamId) === settled) queues.delete(streamId);
    });
    return run;
  }

  function forget(streamId: string): void {
    shown.delete(streamId);
  }

  function keep(saga: ShownSaga): void {
    const streamId = saga.actor.id;
    forget(streamId);
    shown.set(streamId, saga);
    // The oldest followed saga makes room: memory stays bounded however many sagas move.
    while (shown.size > maxActors) forget(shown.keys().next().value!);
  }

  async function restore(streamId: string, from: 'start' | 'latest'): Promise<InspectedSaga | undefined> {
    const loaded = await store.load(streamId);
    if (!loaded) return undefined;
    const definition = registry.get(loaded.head.machineId, loaded.head.machineVersion);
    if (!definition) throw new XsagaError('MACHINE_NOT_REGISTERED', `Machine ${loaded.head.machineId}@${loaded.head.machineVersion} is not registered`);
    let saga: ShownSaga | undefined;
    if (from === 'start') {
      foldStream(definition, await store.readStream(streamId, 1), {
        onEvent: ({ version, event, after }) => {
          if (saga) show.move(saga, event, after, version);
          else saga = show.start(definition, streamId, after, event, version);
        },
      });
    } else {
      const live = replayStream(definition, loaded);
      saga = show.start(definition, streamId, live.snapshot, { type: 'xstate.init' }, live.version);
    }
    if (!saga) return undefined;
    keep(saga);
    return { streamId, version: saga.version, value: saga.snapshot.value, status: saga.snapshot.status };
  }

  async function catchUp(streamId: string, version: number): Promise<void> {
    const saga = shown.get(streamId);
    if (!saga) {
      await restore(streamId, 'latest');
      return;
    }
    if (version <= saga.version) return;
    foldStream(saga.definition, await store.readStream(streamId, saga.version + 1), {
      from: saga.snapshot,
      onEvent: (folded) => show.move(saga, folded.event, folded.after, folded.version),
    });
    if (saga.snapshot.status !== 'active') forget(streamId);
  }

  return {
    url: `http://localhost:${port}`,
    webSocketUrl,
    inspect: (streamId, inspectOptions = {}) => serially(streamId, () => restore(streamId, inspectOptions.from ?? 'start')),
    async follow(bus, factsTopic) {
      // Facts older than this inspector are history a restarted bus replays, not sagas moving now.
      const since = new Date(Date.now() - 5_000).toISOString();
      const subscription = await bus.subscribe({
        group: `xsaga-inspector-${hostname()}-${process.pid}-${Date.now()}`,
        topics: [factsTopic],
        handler: async ({ messages }) => {
          const latest = new Map<string, number>();
          for (const { type, data, metadata } of messages) {
            if (type !== 'SagaViewUpdated' || metadata.occurredAt < since) continue;
            const { streamId, version } = data as { streamId: string; version: number };
            latest.set(streamId, Math.max(version, latest.get(streamId) ?? 0));
          }
          await Promise.all(
            [...latest].map(([streamId, version]) =>
              serially(streamId, () => catchUp(streamId, version)).catch((error: unknown) => logger.warn({ sagaId: streamId, err: error }, `inspector: could not follow saga ${streamId}`)),
            ),
          );
        },
      });
      subscriptions.push(subscription);
      return subscription;
    },
    async stop() {
      for (const subscription of subscriptions.splice(0)) await subscription.stop();
      await Promise.allSettled([...queues.values()]);
      shown.clear();
      // Let the last inspection events (sent on the next tick) reach the bridge before closing it.
      await new Promise((resolve) => setTimeout(resolve, 50));
      inspector.stop();
      server.stop();
    },
  };
}

/**
 * What `xsaga start --inspect` runs beside the system: an inspector that follows every saga that
 * moves, whichever role this process has. Stop it before the system.
 *
 * @example
 * const options = inspectOptionsFrom(args, process.env);
 * const inspector = options && (await inspectSystem(system, options, logger));
 */
export async function inspectSystem(system: Pick<System, 'adapters' | 'registry'>, options: InspectOptions, logger?: Logger): Promise<SagaInspector> {
  const inspector = await startSagaInspector({ store: system.adapters.store, registry: system.registry, port: options.port, logger });
  try {
    for (const topic of new Set(system.registry.all().map((definition) => definition.factsTopic))) await inspector.follow(system.adapters.bus, topic);
  } catch (error) {
    await inspector.stop();
    throw error;
  }
  logger?.info({ url: inspector.url, webSocketUrl: inspector.webSocketUrl }, `inspecting live sagas: open ${inspector.url} (WebSocket ${inspector.webSocketUrl})`);
  return inspector;
}

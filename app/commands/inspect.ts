import { parseArgs } from 'node:util';
import { ROLES, loadConfig } from '../config.ts';
import { createAdapters } from '../createAdapters.ts';
import { createLogger } from '../createLogger.ts';
import { DEFAULT_INSPECT_PORT, startSagaInspector } from '../inspect.ts';
import { startSystem } from '../system.ts';

export const INSPECT_USAGE = `usage: xsaga inspect <sagaId> [--port N] [--from start|latest] [--exit]

Restores one saga from the event store into an actor that executes nothing and streams its
transitions to Stately's inspector through a local WebSocket bridge (open the URL it prints).
  --from start    replay the whole stream, one transition per stored event (default)
  --from latest   restore the latest state only
  --exit          stop once the transitions are sent, instead of serving until Ctrl-C`;

/**
 * `xsaga inspect <sagaId>`: resolves to the process exit code (0, 1 when there is no such saga,
 * 2 for a usage error). With the embedded default, the data directory must not be open in a
 * running server: inspect a running server's sagas with `xsaga start --inspect` instead.
 */
export async function runInspectCommand(args: readonly string[], env: Readonly<Record<string, string | undefined>>): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...args],
      allowPositionals: true,
      options: { port: { type: 'string', default: String(DEFAULT_INSPECT_PORT) }, from: { type: 'string', default: 'start' }, exit: { type: 'boolean', default: false } },
    });
  } catch (error) {
    console.error(`${(error as Error).message}\n\n${INSPECT_USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  const port = Number(values.port);
  if (positionals.length !== 1 || !Number.isInteger(port) || port < 1 || port > 65535 || (values.from !== 'start' && values.from !== 'latest')) {
    console.error(INSPECT_USAGE);
    return 2;
  }
  const sagaId = positionals[0]!;
  // No role runs: this process only reads the event store.
  const config = loadConfig(env, { roles: [] });
  const logger = createLogger({ level: config.logLevel });
  const system = await startSystem({ config, adapters: await createAdapters({ ...config, roles: [...ROLES] }, logger), logger });
  const inspector = await startSagaInspector({ store: system.adapters.store, registry: system.registry, port, logger }).catch(async (error: unknown) => {
    await system.stop();
    throw error;
  });
  const stopAll = async () => {
    await inspector.stop();
    await system.stop();
  };
  const inspected = await inspector.inspect(sagaId, { from: values.from });
  if (!inspected) {
    console.error(`No saga ${sagaId}`);
    await stopAll();
    return 1;
  }
  console.log(`saga ${sagaId} at version ${inspected.version}: ${JSON.stringify(inspected.value)} (${inspected.status})`);
  if (values.exit) {
    await stopAll();
    return 0;
  }
  console.log(`inspecting on ${inspector.url} (WebSocket ${inspector.webSocketUrl}); Ctrl-C to stop`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await stopAll();
  return 0;
}

import { mkdir } from 'node:fs/promises';
import { createMemoryIdempotencyGuard } from '../adapters/memory/memoryIdempotencyGuard.ts';
import { createMemoryMessageBus } from '../adapters/memory/memoryMessageBus.ts';
import { createMemoryOrderReadModel } from '../adapters/memory/memoryOrderReadModel.ts';
import { createMemoryViewStore } from '../adapters/memory/memoryViewStore.ts';
import { createPgliteClient } from '../adapters/pglite/pgliteClient.ts';
import { createSqlSagaStore } from '../adapters/sql/sqlSagaStore.ts';
import type { Logger } from '../runtime/logger.ts';
import type { Config } from './config.ts';
import { closePorts, type SystemAdapters } from './system.ts';

/** The embedded default: PGlite on disk, an in-process bus, read model and guard. No servers. */
export async function createEmbeddedAdapters(config: Pick<Config, 'dataDir' | 'partitions'>, logger?: Logger): Promise<SystemAdapters> {
  const inMemory = config.dataDir === ':memory:';
  if (!inMemory) await mkdir(config.dataDir, { recursive: true });
  const sql = await createPgliteClient(inMemory ? undefined : config.dataDir);
  const store = await createSqlSagaStore(sql);
  const bus = createMemoryMessageBus({ partitions: config.partitions, mergePartitions: true, logger });
  const readModel = createMemoryOrderReadModel();
  const guard = createMemoryIdempotencyGuard();
  const opened: { close(): Promise<void> }[] = [];
  return {
    sql,
    store,
    bus,
    readModel,
    guard,
    volatileBus: true,
    async openViewStore(spec) {
      const views = createMemoryViewStore(spec);
      opened.push(views);
      return views;
    },
    // One process holds the embedded database: a singleton role simply runs.
    runSingleton: async (_name, start) => start(),
    close: () => closePorts({ bus, readModel, guard, sql, views: opened }),
  };
}

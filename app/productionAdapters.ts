import { createElasticsearchOrderReadModel } from '../adapters/elasticsearch/elasticsearchOrderReadModel.ts';
import { createElasticsearchViewStore } from '../adapters/elasticsearch/elasticsearchViewStore.ts';
import { createKafkaMessageBus } from '../adapters/kafka/kafkaMessageBus.ts';
import { startLeaderElection } from '../adapters/postgres/leaderLock.ts';
import { createPgClient } from '../adapters/postgres/pgClient.ts';
import { createRedisIdempotencyGuard } from '../adapters/redis/redisIdempotencyGuard.ts';
import { createSqlSagaStore } from '../adapters/sql/sqlSagaStore.ts';
import type { Logger } from '../runtime/logger.ts';
import type { ProductionConfig, Role } from './config.ts';
import { closePorts, type SystemAdapters } from './system.ts';


/** A stable advisory-lock key per singleton role name. */
function lockKeyOf(name: string): number {
  let hash = 0;
  for (const char of `xsaga:${name}`) hash = (Math.imul(hash, 31) + char.charCodeAt(0)) | 0;
  return hash;
}

/** Production: PostgreSQL, Kafka, Elasticsearch and Redis, each at the address the configuration names. */
export async function createProductionAdapters(
  config: ProductionConfig & { partitions: number; roles: readonly Role[] },
  logger: Logger,
): Promise<SystemAdapters> {
  const sql = await createPgClient({ connectionString: config.pgUrl, schema: config.pgSchema, maxConnections: 10, logger });
  const bus = createKafkaMessageBus({ brokers: [...config.kafkaBrokers], clientId: 'xsaga', partitions: config.partitions,
    fetchMaxWaitMs: config.kafkaFetchMaxWaitMs,
    fetchMinBytes: config.kafkaFetchMinBytes,
    offsetCommitIntervalMs: config.kafkaCommitIntervalMs,
    sessionTimeoutMs: config.kafkaSessionTimeoutMs,
    rebalanceTimeoutMs: config.kafkaRebalanceTimeoutMs,
    heartbeatIntervalMs: config.kafkaHeartbeatIntervalMs,
    logger,
  });
  // Only participants ask the guard, and it connects on first use: the other roles never connect to Redis.
  const guard = createRedisIdempotencyGuard({ url: config.redisUrl, keyPrefix: `xsaga:${config.pgSchema}:`, logger });
  // Only the projector writes the views: every other role starts while Elasticsearch is away.
  const connect = config.roles.includes('projector') ? 'at-start' : 'on-demand';
  let store: Awaited<ReturnType<typeof createSqlSagaStore>>;
  let readModel: Awaited<ReturnType<typeof createElasticsearchOrderReadModel>>;
  try {
    store = await createSqlSagaStore(sql);
    readModel = await createElasticsearchOrderReadModel({ node: config.elasticsearchUrl, alias: config.ordersAlias, connect, tuning: config.viewIndexTuning, logger });
  } catch (error) {
    // A server that did not answer: what was opened is closed, so that the caller can try again.
    await Promise.allSettled([bus.close(), guard.close(), sql.close()]);
    throw error;
  }
  const opened: { close(): Promise<void> }[] = [];
  const connectionString = `${config.pgUrl}${config.pgUrl.includes('?') ? '&' : '?'}options=${encodeURIComponent(`-c search_path=${config.pgSchema}`)}`;
  return {
    sql,
    store,
    bus,
    readModel,
    guard,
    volatileBus: false,
    async openViewStore(spec) {
      const views = await createElasticsearchViewStore({ spec, node: config.elasticsearchUrl, alias: `${config.viewIndexPrefix}${spec.name}`, connect, tuning: config.viewIndexTuning, logger });
      opened.push(views);
      return views;
    },
    async runSingleton(name, start) {
      const lead = () => {
        // Operators (and the chaos run) tell the leader from its standbys by this line.
        logger.info({ singleton: name }, `leading ${name}`);
        return start();
      };
      const leadership = startLeaderElection({ connectionString, lockKey: lockKeyOf(`${config.pgSchema}:${name}`), lead, logger });
      return () => leadership.stop();
    },
    close: () => closePorts({ bus, readModel, guard, sql, views: opened }),
  };
}

import { createElasticsearchOrderReadModel } from '../adapters/elasticsearch/elasticsearchOrderReadModel.ts';
import { createKafkaMessageBus } from '../adapters/kafka/kafkaMessageBus.ts';
import { startLeaderElection } from '../adapters/postgres/leaderLock.ts';
import { createPgClient } from '../adapters/postgres/pgClient.ts';
import { createRedisIdempotencyGuard } from '../adapters/redis/redisIdempotencyGuard.ts';
import { createSqlSagaStore } from '../adapters/sql/sqlSagaStore.ts';
import type { ProductionConfig } from './config.ts';
import { closePorts, type SystemAdapters } from './system.ts';


/** A stable advisory-lock key per singleton role name. */
function lockKeyOf(name: string): number {
  let hash = 0;
  for (const char of `xsaga:${name}`) hash = (Math.imul(hash, 31) + char.charCodeAt(0)) | 0;
  return hash;
}

/** Production: PostgreSQL, Kafka, Elasticsearch and Redis, each at the address the configuration names. */
export async function createProductionAdapters(
  config: ProductionConfig & { partitions: number },
  log: (message: string) => void,
): Promise<SystemAdapters> {
  const sql = await createPgClient({ connectionString: config.pgUrl, schema: config.pgSchema, maxConnections: 10 });
  const store = await createSqlSagaStore(sql);
  const bus = createKafkaMessageBus({ brokers: [...config.kafkaBrokers], clientId: 'xsaga', partitions: config.partitions,
    fetchMaxWaitMs: config.kafkaFetchMaxWaitMs,
    fetchMinBytes: config.kafkaFetchMinBytes,
    offsetCommitIntervalMs: config.kafkaCommitIntervalMs,
    log,
  });
  const readModel = await createElasticsearchOrderReadModel({ node: config.elasticsearchUrl, alias: config.ordersAlias, log });
  const guard = createRedisIdempotencyGuard({ url: config.redisUrl, keyPrefix: `xsaga:${config.pgSchema}:` });
  const connectionString = `${config.pgUrl}${config.pgUrl.includes('?') ? '&' : '?'}options=${encodeURIComponent(`-c search_path=${config.pgSchema}`)}`;
  return {
    sql,
    store,
    bus,
    readModel,
    guard,
    volatileBus: false,
    async runSingleton(name, start) {
      const leadership = startLeaderElection({ connectionString, lockKey: lockKeyOf(`${config.pgSchema}:${name}`), lead: start, log });
      return () => leadership.stop();
    },
    close: () => closePorts({ bus, readModel, guard, sql }),
  };
}

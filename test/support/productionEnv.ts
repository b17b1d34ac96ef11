import type { SqlClient } from '../../runtime/sqlClient.ts';
import { deleteTestIndices, TEST_ES_URL } from './elasticsearch.ts';
import { TEST_KAFKA_BROKERS } from './kafka.ts';
import { uniqueName } from './messages.ts';
import { freshPgSchema, TEST_PG_URL } from './postgres.ts';
import { TEST_REDIS_URL } from './redis.ts';

/**
 * The environment of xsaga in production mode on the test servers, with a schema, topic prefix and
 * index alias of its own; `dispose` drops the schema and the indices.
 */
export async function productionEnv(
  prefix: string,
): Promise<{ name: string; topicPrefix: string; env: Record<string, string>; sql: SqlClient; dispose: () => Promise<void> }> {
  const name = uniqueName(prefix).toLowerCase();
  const topicPrefix = name.replaceAll('_', '-');
  const pg = await freshPgSchema(`xsaga_${prefix}`);
  return {
    name,
    topicPrefix,
    sql: pg.sql,
    env: {
      XSAGA_MODE: 'production',
      XSAGA_PG_URL: TEST_PG_URL,
      XSAGA_PG_SCHEMA: pg.schema,
      XSAGA_KAFKA_BROKERS: TEST_KAFKA_BROKERS.join(','),
      XSAGA_TOPIC_PREFIX: topicPrefix,
      XSAGA_ES_URL: TEST_ES_URL,
      XSAGA_ES_ALIAS: name,
      XSAGA_ES_PREFIX: `${name}-`,
      XSAGA_REDIS_URL: TEST_REDIS_URL,
    },
    async dispose() {
      await pg.dispose();
      await deleteTestIndices(name);
    },
  };
}

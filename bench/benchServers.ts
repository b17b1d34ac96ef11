/** The shared servers every scenario runs on; the environment may point elsewhere. */
export const BENCH_SERVERS = {
  pgUrl: process.env.XSAGA_BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/test',
  kafkaBrokers: (process.env.XSAGA_BENCH_KAFKA_BROKERS ?? '127.0.0.1:9092').split(','),
  elasticsearchUrl: process.env.XSAGA_BENCH_ES_URL ?? 'http://127.0.0.1:9200',
  redisUrl: process.env.XSAGA_BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379',
};

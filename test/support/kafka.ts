/** The Kafka brokers the integration tests use: the local broker unless XSAGA_TEST_KAFKA_BROKERS (comma-separated) says otherwise. */
export const TEST_KAFKA_BROKERS: string[] = (process.env.XSAGA_TEST_KAFKA_BROKERS ?? '127.0.0.1:9092').split(',').map((broker) => broker.trim());

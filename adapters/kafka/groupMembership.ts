/**
 * Defaults of the consumer group membership settings (docs/decisions/0013); kafkajs's own are 30 s,
 * 60 s and 3 s. A file of its own, so that reading the configuration does not load kafkajs.
 */
export const KAFKA_GROUP_MEMBERSHIP = { sessionTimeoutMs: 10_000, rebalanceTimeoutMs: 20_000, heartbeatIntervalMs: 1_000 } as const;

import { Kafka, logLevel } from 'kafkajs';

/**
 * Topic housekeeping for the test suite and the benchmark, which create topics of their own on
 * every run: a broker that keeps thousands of them starts slowly and answers "does not host this
 * topic-partition" for a while after a restart.
 */
async function withKafkaAdmin<T>(brokers: readonly string[], work: (admin: ReturnType<Kafka['admin']>) => Promise<T>): Promise<T> {
  const admin = new Kafka({ clientId: 'xsaga-housekeeping', brokers: [...brokers], logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    return await work(admin);
  } finally {
    await admin.disconnect();
  }
}

export const listTopics = (brokers: readonly string[]): Promise<Set<string>> => withKafkaAdmin(brokers, async (admin) => new Set(await admin.listTopics()));

/** Deletes, in one admin session, the topics `doomed` picks (never Kafka's internal ones); resolves to how many went. */
export async function deleteTopicsWhere(brokers: readonly string[], doomed: (topic: string) => boolean): Promise<number> {
  return withKafkaAdmin(brokers, async (admin) => {
    const topics = (await admin.listTopics()).filter((topic) => !topic.startsWith('__') && doomed(topic));
    if (topics.length > 0) await admin.deleteTopics({ topics, timeout: 30_000 });
    return topics.length;
  });
}

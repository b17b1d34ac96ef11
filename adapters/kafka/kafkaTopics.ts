import { Kafka, logLevel } from 'kafkajs';

/**
 * Topic housekeeping for the test suite and the benchmark, which create topics of their own on
 * every run: a broker that keeps thousands of them starts slowly and answers "does not host this
 * topic-partition" for a while after a restart.
 */
export async function withKafkaAdmin<T>(brokers: readonly string[], work: (admin: ReturnType<Kafka['admin']>) => Promise<T>): Promise<T> {
  const admin = new Kafka({ clientId: 'xsaga-housekeeping', brokers: [...brokers], logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  try {
    return await work(admin);
  } finally {
    await admin.disconnect();
  }
}

export const listTopics = (brokers: readonly string[]): Promise<Set<string>> => withKafkaAdmin(brokers, async (admin) => new Set(await admin.listTopics()));

/** Deletes the given topics (never Kafka's internal ones); resolves to how many went. */
export async function deleteTopics(brokers: readonly string[], topics: Iterable<string>): Promise<number> {
  const doomed = [...topics].filter((topic) => !topic.startsWith('__'));
  if (doomed.length === 0) return 0;
  await withKafkaAdmin(brokers, (admin) => admin.deleteTopics({ topics: doomed, timeout: 30_000 }));
  return doomed.length;
}

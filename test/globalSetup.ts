import { execFileSync } from 'node:child_process';
import { TEST_KAFKA_BROKERS } from './support/kafka.ts';
import { deleteTopicsWhere, listTopics } from '../adapters/kafka/kafkaTopics.ts';

/** The servers the integration and end-to-end suites talk to. */
const SERVICES = ['postgres', 'redis', 'kafka', 'elasticsearch'];

const infra = (command: string, services: readonly string[]): number => {
  try {
    execFileSync('scripts/infra.sh', [command, ...services], { stdio: command === 'status' ? 'ignore' : 'inherit' });
    return 0;
  } catch (error) {
    return (error as { status?: number }).status ?? 1;
  }
};

/**
 * Starts the real servers the suite needs; afterwards deletes the Kafka topics the run created and
 * stops only the servers it started.
 */
export async function setup(): Promise<() => Promise<void>> {
  const startedHere = SERVICES.filter((service) => infra('status', [service]) !== 0);
  if (infra('up', SERVICES) !== 0) throw new Error(`could not start the test servers (${SERVICES.join(', ')}); see the output above`);
  const topicsBefore = await listTopics(TEST_KAFKA_BROKERS);
  return async () => {
    try {
      await deleteTopicsWhere(TEST_KAFKA_BROKERS, (topic) => !topicsBefore.has(topic));
    } catch (error) {
      console.warn(`could not delete the test run's Kafka topics: ${(error as Error).message}`);
    }
    if (startedHere.length > 0) infra('down', startedHere);
  };
}

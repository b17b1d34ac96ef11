import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { TEST_KAFKA_BROKERS } from './support/kafka.ts';
import { deleteTopicsWhere, listTopics } from '../adapters/kafka/kafkaTopics.ts';
import { testRunMark } from './support/messages.ts';

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

type Servers = { users: number; started?: Promise<() => Promise<void>> };

/**
 * Every project that needs the servers names this file, and vitest sets each such project up on its
 * own; they share one start and one stop through the process, which all of them run in.
 */
const servers: Servers = ((globalThis as { xsagaTestServers?: Servers }).xsagaTestServers ??= { users: 0 });

async function startServers(): Promise<() => Promise<void>> {
  const startedHere = SERVICES.filter((service) => infra('status', [service]) !== 0);
  if (infra('up', SERVICES) !== 0) throw new Error(`could not start the test servers (${SERVICES.join(', ')}); see the output above`);
  // Test files name what they create with this run's mark (uniqueName); the workers inherit it.
  process.env.XSAGA_TEST_RUN ??= `r${randomBytes(4).toString('hex')}`;
  const mark = testRunMark();
  const topicsBefore = await listTopics(TEST_KAFKA_BROKERS);
  return async () => {
    try {
      // Only this run's topics: another run on the same broker (a second checkout) keeps its own.
      await deleteTopicsWhere(TEST_KAFKA_BROKERS, (topic) => !topicsBefore.has(topic) && (topic.includes(`_${mark}_`) || topic.includes(`-${mark}-`)));
    } catch (error) {
      console.warn(`could not delete the test run's Kafka topics: ${(error as Error).message}`);
    }
    if (startedHere.length > 0) infra('down', startedHere);
  };
}

/**
 * Starts the real servers the suite needs; after the last project using them, deletes the Kafka
 * topics the run created and stops only the servers it started.
 */
export async function setup(): Promise<() => Promise<void>> {
  servers.users += 1;
  servers.started ??= startServers();
  const stop = await servers.started;
  return async () => {
    servers.users -= 1;
    if (servers.users > 0) return;
    servers.started = undefined;
    await stop();
  };
}

import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { createKafkaMessageBus } from '../../adapters/kafka/kafkaMessageBus.ts';
import type { MessageBus } from '../../runtime/messageBus.ts';
import { capturingLogger } from '../support/capturingLogger.ts';
import { eventually } from '../support/eventually.ts';
import { TEST_KAFKA_BROKERS } from '../support/kafka.ts';
import { testEnvelope, uniqueName } from '../support/messages.ts';
import { startNodeProcess, type RunningProcess } from '../support/processes.ts';

const MEMBER = fileURLToPath(new URL('../support/groupMemberProcess.ts', import.meta.url));
/**
 * The default session timeout (10 s, docs/decisions/0013) plus the survivor's next heartbeat, the rejoin and a
 * fetch, with room for a busy two-core machine; kafkajs's own 30 s default cannot meet it.
 */
const TAKEOVER_BOUND_MS = 20_000;

describe('Kafka consumer group membership', () => {
  let bus: MessageBus | undefined;
  let member: RunningProcess | undefined;
  afterEach(async () => {
    // SIGKILL ends a stopped process too.
    await member?.stop('SIGKILL');
    await bus?.close();
  });

  it('hands the partitions of a member that stopped answering to the other member within seconds', async () => {
    const topic = uniqueName('membership').replaceAll('_', '-');
    const group = `${topic}-group`;
    const { logger, lines } = capturingLogger();
    bus = createKafkaMessageBus({ brokers: TEST_KAFKA_BROKERS, clientId: 'xsaga-int-test', partitions: 4, logger });
    await bus.ensureTopics([topic]);
    member = await startNodeProcess([MEMBER, TEST_KAFKA_BROKERS.join(','), group, topic], { env: {}, ready: /subscribed/ });
    const handledHere = new Set<string>();
    await bus.subscribe({ group, topics: [topic], handler: async (batch) => batch.messages.forEach((m) => handledHere.add(m.metadata.messageId)) });
    const round = () => Array.from({ length: 16 }, (_, i) => testEnvelope(topic, `order-${i}`));

    // Both members hold partitions once each has handled something.
    await eventually(
      async () => {
        await bus!.publish(round());
        expect(member!.output()).toMatch(/handled /);
        expect(handledHere.size).toBeGreaterThan(0);
      },
      { timeoutMs: 60_000, intervalMs: 1_000 },
    );

    member.child.kill('SIGSTOP');
    const stoppedAt = Date.now();
    const probes = round();
    await bus.publish(probes);
    await eventually(() => probes.forEach((probe) => expect(handledHere).toContain(probe.message.metadata.messageId)), { timeoutMs: 90_000, intervalMs: 100 });
    const takeoverMs = Date.now() - stoppedAt;
    console.log(`partitions of the stopped member taken over after ${takeoverMs} ms`);
    expect(takeoverMs).toBeLessThan(TAKEOVER_BOUND_MS);

    // The survivor went through a rebalance, which kafkajs calls a warning or an error; the log says info.
    const aboutRebalance = lines.filter(
      (line) => line.fields.component === 'kafkajs' && /rebalanc|not aware of this member|generation id/i.test(`${line.msg} ${String(line.fields.error ?? '')}`),
    );
    expect(aboutRebalance.length).toBeGreaterThan(0);
    expect(aboutRebalance.filter((line) => line.level !== 'info')).toEqual([]);
  }, 180_000);
});

// A consumer group member in a process of its own, so that a test can pause it (SIGSTOP) as a hung or
// lost worker. Usage: node test/support/groupMemberProcess.ts <brokers> <group> <topic>
import { createKafkaMessageBus } from '../../adapters/kafka/kafkaMessageBus.ts';

const [brokers, group, topic] = process.argv.slice(2);
if (!brokers || !group || !topic) throw new Error('usage: groupMemberProcess.ts <brokers> <group> <topic>');
const bus = createKafkaMessageBus({ brokers: brokers.split(','), clientId: 'xsaga-group-member' });
await bus.subscribe({
  group,
  topics: [topic],
  handler: async (batch) => batch.messages.forEach((message) => console.log(`handled ${message.metadata.messageId}`)),
});
console.log('subscribed');
process.once('SIGTERM', () => void bus.close().then(() => process.exit(0)));

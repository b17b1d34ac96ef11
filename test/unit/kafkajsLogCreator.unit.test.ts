import { Kafka, logLevel } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { kafkajsLogCreator } from '../../adapters/kafka/kafkajsLogCreator.ts';
import { capturingLogger } from '../support/capturingLogger.ts';

/** kafkajs's own logger (levels, namespaces, the entry it hands a log creator), with xsaga's creator behind it; no broker is asked. */
function kafkajsLogger(level = logLevel.DEBUG) {
  const captured = capturingLogger();
  const kafka = new Kafka({ clientId: 'log-test', brokers: ['127.0.0.1:1'], logLevel: level, logCreator: kafkajsLogCreator(captured.logger) });
  return { ...captured, kafkajs: kafka.logger() };
}

describe("kafkajs's log through xsaga's logger", () => {
  it('says at info what kafkajs calls a warning or an error when a group rebalances', () => {
    const { kafkajs, lines } = kafkajsLogger();
    const member = { groupId: 'xsaga.saga-worker', memberId: 'xsaga-4b1c' };
    // Texts and fields as kafkajs 2.2.4 writes them (src/consumer/runner.js, src/network/connection.js).
    kafkajs.namespace('Runner').warn('The group is rebalancing, re-joining', { ...member, error: 'The group is rebalancing, so a rejoin is needed' });
    kafkajs.namespace('Runner').error('The coordinator is not aware of this member, re-joining the group', { ...member, error: 'The coordinator is not aware of this member' });
    kafkajs.namespace('Connection').error('Response Heartbeat(key: 12, version: 3)', { broker: '127.0.0.1:9092', clientId: 'xsaga', error: 'The group is rebalancing, so a rejoin is needed', correlationId: 41, size: 10 });
    kafkajs.namespace('Connection').error('Response OffsetCommit(key: 8, version: 5)', { broker: '127.0.0.1:9092', error: 'Specified group generation id is not valid', correlationId: 42, size: 10 });
    kafkajs.namespace('Connection').error('Response JoinGroup(key: 11, version: 5)', { broker: '127.0.0.1:9092', error: 'This is not the correct coordinator for this group', correlationId: 43, size: 10 });
    expect(lines.map((line) => line.level)).toEqual(['info', 'info', 'info', 'info', 'info']);
    expect(lines[0]).toEqual({
      level: 'info',
      msg: 'The group is rebalancing, re-joining',
      fields: { component: 'kafkajs', namespace: 'Runner', ...member, error: 'The group is rebalancing, so a rejoin is needed' },
    });
  });

  it('keeps a real error an error, a warning a warning, and what kafkajs tells at info or debug at that level', () => {
    const { kafkajs, lines } = kafkajsLogger();
    kafkajs.namespace('Connection').error('Connection error: connect ECONNREFUSED 127.0.0.1:9092', { broker: '127.0.0.1:9092', clientId: 'xsaga', stack: 'Error: connect ECONNREFUSED' });
    kafkajs.namespace('Consumer').error('Crash: KafkaJSNumberOfRetriesExceeded: Connection error: connect ECONNREFUSED 127.0.0.1:9092', { groupId: 'g', retryCount: 5, stack: '…' });
    kafkajs.namespace('Connection').error('Response Produce(key: 0, version: 7)', { broker: '127.0.0.1:9092', error: 'The request included a message larger than the max message size the server will accept', correlationId: 7, size: 80 });
    kafkajs.namespace('ConsumerGroup').warn('Consumer is not aware of all assigned partitions, refreshing metadata', { groupId: 'g', topic: 't' });
    kafkajs.namespace('ConsumerGroup').info('Consumer has joined the group', { groupId: 'g', memberId: 'm', isLeader: true });
    kafkajs.namespace('Connection').debug('Request Heartbeat(key: 12, version: 3)', { broker: '127.0.0.1:9092' });
    expect(lines.map((line) => [line.level, line.msg.slice(0, 24)])).toEqual([
      ['error', 'Connection error: connec'],
      ['error', 'Crash: KafkaJSNumberOfRe'],
      ['error', 'Response Produce(key: 0,'],
      ['warn', 'Consumer is not aware of'],
      ['info', 'Consumer has joined the '],
      ['debug', 'Request Heartbeat(key: 1'],
    ]);
  });

  it('hands an Error to the logger as err, where it is serialised with its stack', () => {
    const { kafkajs, lines } = kafkajsLogger();
    const thrown = new Error('handler blew up');
    kafkajs.namespace('Runner').error('Error when calling eachBatch', { topic: 't', partition: 0, offset: '5', error: thrown });
    expect(lines).toEqual([{ level: 'error', msg: 'Error when calling eachBatch', fields: { component: 'kafkajs', namespace: 'Runner', topic: 't', partition: 0, offset: '5', err: thrown } }]);
  });

  it("leaves kafkajs's level threshold to kafkajs: below it, nothing reaches the logger", () => {
    const { kafkajs, lines } = kafkajsLogger(logLevel.WARN);
    kafkajs.namespace('ConsumerGroup').info('Consumer has joined the group', { groupId: 'g' });
    kafkajs.namespace('Runner').warn('The group is rebalancing, re-joining', { groupId: 'g' });
    expect(lines.map((line) => [line.level, line.msg])).toEqual([['info', 'The group is rebalancing, re-joining']]);
  });
});

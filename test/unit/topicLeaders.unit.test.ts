import type { Admin } from 'kafkajs';
import { describe, expect, it } from 'vitest';
import { waitForTopicLeaders } from '../../adapters/kafka/topicLeaders.ts';

/** The shape of kafkajs's protocol errors: the broker's error name in `type`. */
const protocolError = (type: string, message: string) => Object.assign(new Error(message), { name: 'KafkaJSProtocolError', type });

type Answer = 'unknown topic' | 'no leader' | 'leaders' | 'broken';

/** An admin whose metadata answers are scripted, one per call; the last answer repeats. */
function scriptedAdmin(answers: Answer[]) {
  let calls = 0;
  const admin = {
    async fetchTopicMetadata({ topics }: { topics: string[] }) {
      const answer = answers[Math.min(calls++, answers.length - 1)]!;
      if (answer === 'unknown topic') throw protocolError('UNKNOWN_TOPIC_OR_PARTITION', 'This server does not host this topic-partition');
      if (answer === 'broken') throw protocolError('TOPIC_AUTHORIZATION_FAILED', 'Not authorized to access topics');
      const leader = answer === 'leaders' ? 0 : -1;
      return { topics: topics.map((name) => ({ name, partitions: [0, 1].map((partitionId) => ({ partitionId, leader, partitionErrorCode: 0, replicas: [0], isr: [0] })) })) };
    },
  };
  return { admin: admin as unknown as Admin, calls: () => calls };
}

describe('waiting for the leaders of new topics', () => {
  it('waits out the broker not knowing the topic yet and partitions without a leader', async () => {
    const { admin, calls } = scriptedAdmin(['unknown topic', 'unknown topic', 'no leader', 'leaders']);
    await waitForTopicLeaders(admin, ['a', 'b']);
    expect(calls()).toBe(4);
  });

  it('passes on an error that waiting does not cure', async () => {
    const { admin, calls } = scriptedAdmin(['unknown topic', 'broken']);
    await expect(waitForTopicLeaders(admin, ['a'])).rejects.toThrow('Not authorized');
    expect(calls()).toBe(2);
  });

  it('gives up after its time limit, naming the topics and why', async () => {
    const { admin } = scriptedAdmin(['no leader']);
    await expect(waitForTopicLeaders(admin, ['a', 'b'], 250)).rejects.toThrow('Kafka topics a, b had no leaders 250 ms after their creation (no leader yet for a, b)');
  });
});

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Message } from '../../runtime/message.ts';
import type { MessageBus, PartitionBatch } from '../../runtime/messageBus.ts';
import { testEnvelope, uniqueName } from '../support/messages.ts';

type Factory = () => Promise<MessageBus>;

async function waitFor(condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** The behaviour every MessageBus must have. */
export function messageBusContract(name: string, factory: Factory, timeoutMs = 10_000): void {
  describe(`MessageBus contract: ${name}`, () => {
    let bus: MessageBus;
    let topic: string;
    beforeEach(async () => {
      bus = await factory();
      topic = uniqueName('contract').replaceAll('_', '-');
      await bus.ensureTopics([topic]);
    });
    afterEach(async () => {
      await bus.close();
    });

    const seqOf = (m: Message) => (m.data as { seq: number }).seq;

    it('delivers every message to a group, in order per key', async () => {
      const received: Message[] = [];
      const sub = await bus.subscribe({ group: `${topic}-g`, topics: [topic], handler: async (b) => void received.push(...b.messages) });
      const envelopes = Array.from({ length: 200 }, (_, i) => testEnvelope(topic, `key-${i % 7}`, 'Numbered', { seq: i }));
      await bus.publish(envelopes.slice(0, 100));
      await bus.publish(envelopes.slice(100));
      await waitFor(() => received.length >= 200, timeoutMs);
      expect(received).toHaveLength(200);
      for (let k = 0; k < 7; k++) {
        const seqs = received.filter((m) => m.metadata.correlationId === `key-${k}`).map(seqOf);
        expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
      }
      expect(received[0]?.metadata).toMatchObject({ correlationId: expect.any(String), messageId: expect.any(String), causationId: expect.any(String) });
      await sub.stop();
    });

    it('tells how far a group lags on every partition, whether it runs or not', async () => {
      const group = `${topic}-lagging`;
      await bus.publish(Array.from({ length: 12 }, (_, i) => testEnvelope(topic, `key-${i}`, 'Numbered', { seq: i })));
      const lagOf = async () => (await bus.consumerLag!([{ group, topic }])).reduce((sum, row) => sum + row.lag, 0);
      const before = await bus.consumerLag!([{ group, topic }]);
      expect(before.length).toBeGreaterThan(0);
      expect(before.every((row) => row.group === group && row.topic === topic && Number.isInteger(row.partition))).toBe(true);
      expect(await lagOf()).toBe(12);
      let handled = 0;
      const sub = await bus.subscribe({ group, topics: [topic], handler: async (b) => void (handled += b.messages.length) });
      await waitFor(() => handled >= 12, timeoutMs);
      // Offsets may be committed a moment after the handler resolved.
      const deadline = Date.now() + timeoutMs;
      while ((await lagOf()) > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
      expect(await lagOf()).toBe(0);
      await sub.stop();
    });

    it('gives each group its own copy', async () => {
      const a: Message[] = [];
      const b: Message[] = [];
      const subA = await bus.subscribe({ group: `${topic}-a`, topics: [topic], handler: async (batch) => void a.push(...batch.messages) });
      const subB = await bus.subscribe({ group: `${topic}-b`, topics: [topic], handler: async (batch) => void b.push(...batch.messages) });
      await bus.publish(Array.from({ length: 10 }, (_, i) => testEnvelope(topic, `k${i}`, 'Numbered', { seq: i })));
      await waitFor(() => a.length >= 10 && b.length >= 10, timeoutMs);
      expect(a.map(seqOf).sort((x, y) => x - y)).toEqual(b.map(seqOf).sort((x, y) => x - y));
      await subA.stop();
      await subB.stop();
    });

    it('redelivers a batch whose handler failed, and commits only after success', async () => {
      let failures = 0;
      const handled: number[] = [];
      const sub = await bus.subscribe({
        group: `${topic}-retry`,
        topics: [topic],
        handler: async (batch: PartitionBatch) => {
          if (failures < 2) {
            failures++;
            throw new Error('transient');
          }
          handled.push(...batch.messages.map(seqOf));
        },
      });
      await bus.publish([testEnvelope(topic, 'only-key', 'Numbered', { seq: 1 })]);
      await waitFor(() => handled.length >= 1, timeoutMs);
      expect(failures).toBe(2);
      expect(handled).toEqual([1]);
      await sub.stop();
    });

    it('gathers the messages published within a batch window into one batch, or two where the window ends among them', async () => {
      const batches: number[][] = [];
      const sub = await bus.subscribe({ group: `${topic}-window`, topics: [topic], batchWindowMs: 2_000, handler: async (b) => void batches.push(b.messages.map(seqOf)) });
      // Once the first message is handled the group runs, and what follows meets a consumer waiting for messages.
      await bus.publish([testEnvelope(topic, 'k', 'Numbered', { seq: 0 })]);
      await waitFor(() => batches.length > 0, timeoutMs);
      for (let seq = 1; seq <= 5; seq++) {
        await bus.publish([testEnvelope(topic, 'k', 'Numbered', { seq })]);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      await waitFor(() => batches.flat().length >= 6, timeoutMs);
      expect(batches.flat()).toEqual([0, 1, 2, 3, 4, 5]);
      // Without a window each of them, 50 ms apart, is a batch of its own.
      expect(batches.length - 1).toBeLessThanOrEqual(2);
      await sub.stop();
    });

    it('resumes a group after its committed offset', async () => {
      const group = `${topic}-resume`;
      const first: number[] = [];
      const sub1 = await bus.subscribe({ group, topics: [topic], handler: async (b) => void first.push(...b.messages.map(seqOf)) });
      await bus.publish(Array.from({ length: 5 }, (_, i) => testEnvelope(topic, 'k', 'Numbered', { seq: i })));
      await waitFor(() => first.length >= 5, timeoutMs);
      await sub1.stop();
      await bus.publish(Array.from({ length: 5 }, (_, i) => testEnvelope(topic, 'k', 'Numbered', { seq: 5 + i })));
      const second: number[] = [];
      const sub2 = await bus.subscribe({ group, topics: [topic], handler: async (b) => void second.push(...b.messages.map(seqOf)) });
      await waitFor(() => second.length >= 5, timeoutMs);
      expect(second).toEqual([5, 6, 7, 8, 9]);
      await sub2.stop();
    });
  });
}

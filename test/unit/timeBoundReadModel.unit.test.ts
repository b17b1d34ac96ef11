import { describe, expect, it } from 'vitest';
import { createMemoryOrderReadModel } from '../../adapters/memory/memoryOrderReadModel.ts';
import { timeBoundReadModel } from '../../orders/timeBoundReadModel.ts';
import { isXsagaError } from '../../runtime/errors.ts';
import { viewOf } from '../contracts/readModelContract.ts';
import { readModelOutage } from '../support/readModelOutage.ts';

describe('a read model whose reads are bounded in time', () => {
  it('answers as the read model does while it answers in time', async () => {
    const inner = createMemoryOrderReadModel();
    const reads = timeBoundReadModel(inner, { timeoutMs: 1000 });
    await reads.upsert([{ id: 'a', version: 2, view: viewOf('a', 2) }]);
    expect(await reads.get('a')).toEqual(viewOf('a', 2));
    expect((await reads.search({})).total).toBe(1);
    expect(await reads.countBy('status')).toEqual({ PENDING: 1 });
    expect(reads.idOf(viewOf('a', 2))).toBe('a');
    await expect(reads.ping()).resolves.toBeUndefined();
  });

  it('gives up on a read model that hangs, with a retryable UNAVAILABLE error, within the bound', async () => {
    const outage = readModelOutage(createMemoryOrderReadModel());
    const reads = timeBoundReadModel(outage.readModel, { timeoutMs: 50 });
    outage.begin('hang');
    try {
      for (const read of [() => reads.get('a'), () => reads.search({}), () => reads.countByStatus(), () => reads.countByState(), () => reads.countBy('state'), () => reads.statsByState(), () => reads.ping()]) {
        const started = Date.now();
        const error = await read().then(
          () => undefined,
          (e: unknown) => e,
        );
        expect(isXsagaError(error, 'UNAVAILABLE') && error.retryable).toBe(true);
        expect(Date.now() - started).toBeLessThan(1000);
      }
    } finally {
      outage.end();
    }
  });

  it('passes on what the read model throws, and leaves writes unbounded', async () => {
    const inner = createMemoryOrderReadModel();
    const broken = { ...inner, search: async () => Promise.reject(new Error('a bug, not an outage')) };
    const reads = timeBoundReadModel(broken, { timeoutMs: 50 });
    await expect(reads.search({})).rejects.toThrow('a bug, not an outage');

    const outage = readModelOutage(inner);
    const writes = timeBoundReadModel(outage.readModel, { timeoutMs: 10 });
    outage.begin('hang');
    const written = writes.upsert([{ id: 'b', version: 1, view: viewOf('b', 1) }]);
    await new Promise((resolve) => setTimeout(resolve, 50));
    outage.end();
    await written;
    expect((await inner.get('b'))?.version).toBe(1);
  });
});

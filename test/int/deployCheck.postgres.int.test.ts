import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSqlSagaStore } from '../../adapters/sql/sqlSagaStore.ts';
import { runDeployCheckCommand } from '../../app/commands/deployCheck.ts';
import { loadConfig } from '../../app/config.ts';
import { sagaCatalog } from '../../app/sagaCatalog.ts';
import { createMessage } from '../../runtime/message.ts';
import { createSagaRuntime } from '../../runtime/sagaRuntime.ts';
import type { SagaStore } from '../../runtime/sagaStore.ts';
import { permitMachineV1Widened, permitSagaWith } from '../fixtures/permitSaga.ts';
import { TEST_ES_URL } from '../support/elasticsearch.ts';
import { TEST_KAFKA_BROKERS } from '../support/kafka.ts';
import { freshPgSchema, TEST_PG_URL } from '../support/postgres.ts';
import { TEST_REDIS_URL } from '../support/redis.ts';

const PERMITS = 120;

describe('xsaga deploy-check against PostgreSQL', () => {
  let pg: Awaited<ReturnType<typeof freshPgSchema>>;
  let store: SagaStore;
  const printed: string[] = [];
  const check = (catalog: ReturnType<typeof sagaCatalog>, args: string[] = []) =>
    runDeployCheckCommand(
      // Production mode names every server; the gate connects only to PostgreSQL.
      loadConfig({ XSAGA_MODE: 'production', XSAGA_PG_URL: TEST_PG_URL, XSAGA_PG_SCHEMA: pg.schema, XSAGA_KAFKA_BROKERS: TEST_KAFKA_BROKERS.join(','), XSAGA_ES_URL: TEST_ES_URL, XSAGA_REDIS_URL: TEST_REDIS_URL }, { roles: [] }),
      args,
      { catalog, print: (text) => void printed.push(text) },
    );

  beforeAll(async () => {
    pg = await freshPgSchema('xsaga_deploy_check');
    store = await createSqlSagaStore(pg.sql);
    const { registry } = sagaCatalog({ sagas: [permitSagaWith([1])] });
    const runtime = createSagaRuntime({ store, registry, snapshotEvery: 2 });
    const definition = registry.latest('permitSaga')!;
    const occurredAt = new Date().toISOString();
    for (let i = 0; i < PERMITS; i++) {
      const permitId = `permit-${String(i).padStart(4, '0')}`;
      await runtime.start(definition, createMessage('PermitOpened', {}, { messageId: `${permitId}/opened`, correlationId: permitId, occurredAt }));
      // Every other permit is checked: it waits for approval; a tenth of them is granted, done.
      if (i % 2 === 0) await runtime.handle([createMessage('PermitChecked', {}, { messageId: `${permitId}/checked`, correlationId: permitId, causationId: `${permitId}/1/0`, occurredAt })]);
      if (i % 10 === 0) await runtime.handle([createMessage('PermitApproved', {}, { messageId: `${permitId}/approved`, correlationId: permitId, occurredAt })]);
    }
  });
  afterAll(() => pg?.dispose());

  it('pages through the active sagas, passes with the same machines, and refuses a machine changed under its version number', async () => {
    expect(await check(sagaCatalog({ sagas: [permitSagaWith([1, 2])] }), ['--json'])).toBe(0);
    const active = PERMITS - PERMITS / 10;
    expect(JSON.parse(printed.at(-1)!)).toMatchObject({ passed: true, activeStreams: active, versions: [{ machineId: 'permitSaga', version: 1, active, fingerprintChanged: 0 }] });

    expect(await check(sagaCatalog({ sagas: [permitSagaWith([1, 2], { 1: permitMachineV1Widened })] }))).toBe(1);
    expect(printed.at(-1)).toMatch(new RegExp(`permitSaga@1: ${active} active, ${active} with another fingerprint[\\s\\S]*deploy check REFUSED`));

    expect(await check(sagaCatalog({ sagas: [permitSagaWith([2])] }))).toBe(1);
    expect(printed.at(-1)).toContain(`permitSaga@1 is not registered, and ${active} active stream(s) are pinned to it`);
  });
});

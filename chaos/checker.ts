import { isDeepStrictEqual } from 'node:util';
import { createMemoryOrderReadModel } from '../adapters/memory/memoryOrderReadModel.ts';
import { checkInvariants, INVARIANT_RULES } from '../orders/invariants.ts';
import type { OrderReadModel } from '../orders/orderReadModel.ts';
import { rebuildViews } from '../runtime/rebuildViews.ts';
import type { MachineRegistry } from '../runtime/sagaDefinition.ts';
import type { SagaStore } from '../runtime/sagaStore.ts';
import type { SqlQueryable } from '../runtime/sqlClient.ts';
import { verifyReplay, formatDivergence } from '../runtime/verifyReplay.ts';
import type { SubmittedOrder } from './chaosClient.ts';
import type { UnexpectedExit } from './roleFleet.ts';

/** One invariant: how many times it was broken (0 when it held), and a few examples. */
export type InvariantResult = Readonly<{ rule: string; violations: number; examples: readonly string[] }>;

export type CheckerInput = Readonly<{
  sql: SqlQueryable;
  store: SagaStore;
  registry: MachineRegistry;
  readModel: OrderReadModel;
  orders: readonly SubmittedOrder[];
  unexpectedExits: readonly UnexpectedExit[];
  /** An unpublished outbox row or a due timer older than this is left behind. */
  leftBehindAfterMs: number;
}>;

const EXAMPLES = 5;

function rule(name: string, found: readonly string[]): InvariantResult {
  return { rule: name, violations: found.length, examples: found.slice(0, EXAMPLES) };
}

/**
 * The checker over a whole chaos run's history, once the system has drained: what the client was
 * told against what the event store, the participants' tables and the read model hold.
 */
export async function checkChaosRun(input: CheckerInput): Promise<InvariantResult[]> {
  const { sql, store, orders } = input;
  const results: InvariantResult[] = [];

  const accepted = orders.filter((order) => order.orderId !== undefined);
  const keys = await sql.query<{ key: string; stream_id: string }>('select key, stream_id from xsaga_idempotency_keys');
  const streamOfKey = new Map(keys.rows.map((row) => [row.key, row.stream_id]));
  const streams = await sql.query<{ stream_id: string; status: string }>(`select stream_id, status from xsaga_streams where machine_id = 'orderSaga'`);
  const statusOf = new Map(streams.rows.map((row) => [row.stream_id, row.status]));

  results.push(rule('client answered: every order accepted, none refused', orders.filter((o) => o.orderId === undefined).map((o) => `${o.idempotencyKey}: ${o.refused ?? `gave up after ${o.attempts} attempts (${o.lastError})`}`)));
  results.push(rule('no accepted order lost', accepted.filter((o) => !statusOf.has(o.orderId!)).map((o) => `${o.idempotencyKey} → ${o.orderId}: no such stream`)));
  results.push(
    rule('every accepted order terminal', accepted.filter((o) => statusOf.get(o.orderId!) === 'active').map((o) => `${o.orderId}: still active`)),
  );
  const keyedStreams = new Set(keys.rows.map((row) => row.stream_id));
  const duplicates = [
    ...orders.filter((o) => o.orderIds.size > 1).map((o) => `${o.idempotencyKey}: answered with ${[...o.orderIds].join(', ')}`),
    ...accepted.filter((o) => streamOfKey.get(o.idempotencyKey) !== o.orderId).map((o) => `${o.idempotencyKey}: client told ${o.orderId}, key maps to ${streamOfKey.get(o.idempotencyKey)}`),
    ...streams.rows.filter((row) => !keyedStreams.has(row.stream_id)).map((row) => `${row.stream_id}: an order no Idempotency-Key maps to`),
  ];
  results.push(rule('no order duplicated (one per Idempotency-Key)', duplicates));

  // A rule that cannot be checked (a server still away after the drain) is broken, not skipped.
  const report = await checkInvariants({ sql, store, readModel: input.readModel }).catch((error: unknown) => error as Error);
  for (const name of INVARIANT_RULES) results.push(rule(name, report instanceof Error ? [`could not be checked: ${report.message}`] : report.violationsByRule[name]));

  const replay = await verifyReplay({ store, registry: input.registry });
  results.push(rule('every stream replays (verify-replay)', replay.divergences.map(formatDivergence)));

  // The read model must equal the fold of every stream in content, not only in version.
  const folded = createMemoryOrderReadModel();
  await rebuildViews({ store, registry: input.registry, machineId: 'orderSaga', views: folded });
  const contentDiffers: string[] = [];
  try {
    for (const row of streams.rows) {
      const [expected, served] = await Promise.all([folded.get(row.stream_id), input.readModel.get(row.stream_id)]);
      if (!isDeepStrictEqual(JSON.parse(JSON.stringify(expected ?? null)), JSON.parse(JSON.stringify(served ?? null)))) contentDiffers.push(`${row.stream_id}: read model document differs from the fold of its stream`);
    }
  } catch (error) {
    contentDiffers.push(`could not be checked: ${(error as Error).message}`);
  }
  results.push(rule('read model equals the fold of every stream', contentDiffers));

  const bound = `${input.leftBehindAfterMs} milliseconds`;
  const outbox = await sql.query<{ id: string; stream_id: string; topic: string }>(
    `select id::text, stream_id, topic from xsaga_outbox where published_at is null and created_at < now() - $1::interval order by id limit 100`,
    [bound],
  );
  results.push(rule(`no outbox row unpublished after ${input.leftBehindAfterMs / 1000} s`, outbox.rows.map((r) => `outbox ${r.id} of ${r.stream_id} for ${r.topic}`)));
  const timers = await sql.query<{ stream_id: string; timer_id: string }>(`select stream_id, timer_id from xsaga_timers where due_at < now() - $1::interval limit 100`, [bound]);
  results.push(rule(`no timer overdue by ${input.leftBehindAfterMs / 1000} s`, timers.rows.map((r) => `timer ${r.timer_id} of ${r.stream_id}`)));
  const letters = await sql.query<{ consumer: string; stream_id: string; reason: string; error: string }>('select consumer, stream_id, reason, error from xsaga_dead_letters limit 100');
  results.push(rule('no message dead-lettered (a fault is not a poison message)', letters.rows.map((r) => `${r.consumer} ${r.stream_id} (${r.reason}): ${r.error}`)));
  results.push(rule('no role process died without a fault', input.unexpectedExits.map((e) => `${e.member} exited (code ${e.code}, signal ${e.signal}): ${e.lastLines.split('\n').filter(Boolean).slice(-3).join(' | ')}`)));
  return results;
}

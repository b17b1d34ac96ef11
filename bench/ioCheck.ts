import type { IoCounts } from './ioCounts.ts';

/** One compared figure, per saga, with whether the check requires the two to be equal. */
export type IoComparison = Readonly<{ what: string; xsaga: number; baseline: number; required: boolean }>;

export type IoCheck = Readonly<{ ok: boolean; sagas: number; rows: readonly IoComparison[]; mappingsEqual: boolean }>;

/**
 * Tables whose updates depend on how messages fall into batches (one stock row per SKU per batch),
 * or where xsaga may write a row twice (a relay that starts, or a writer slower than the sweep's
 * delay, publishing a row both ways).
 */
const BATCH_DEPENDENT_UPDATES = new Set(['inventory_stock', 'xsaga_outbox']);

const perSaga = (n: number, sagas: number) => Math.round((n / sagas) * 1000) / 1000;

/**
 * Compares what xsaga and the raw baseline wrote for the same orders (the same count of the same
 * mix): rows inserted and deleted per table, the saga streams' updates, the orders documents and
 * their mapping must be equal; messages per topic, index operations and the batch-dependent
 * updates are shown beside them. A baseline that stops following xsaga's I/O fails the check.
 */
export function compareIo(xsaga: IoCounts, baseline: IoCounts, sagas: number): IoCheck {
  const rows: IoComparison[] = [];
  const tables = [...new Set([...Object.keys(xsaga.tables), ...Object.keys(baseline.tables)])].sort();
  const zero = { inserted: 0, updated: 0, deleted: 0 };
  for (const table of tables) {
    const x = xsaga.tables[table] ?? zero;
    const b = baseline.tables[table] ?? zero;
    for (const kind of ['inserted', 'updated', 'deleted'] as const) {
      if (x[kind] === 0 && b[kind] === 0) continue;
      const required = kind !== 'updated' || !BATCH_DEPENDENT_UPDATES.has(table);
      rows.push({ what: `${table} rows ${kind}`, xsaga: perSaga(x[kind], sagas), baseline: perSaga(b[kind], sagas), required });
    }
  }
  const topics = [...new Set([...Object.keys(xsaga.messages), ...Object.keys(baseline.messages)])].sort();
  for (const topic of topics) {
    const x = xsaga.messages[topic] ?? 0;
    const b = baseline.messages[topic] ?? 0;
    if (x !== 0 || b !== 0) rows.push({ what: `${topic} messages`, xsaga: perSaga(x, sagas), baseline: perSaga(b, sagas), required: false });
  }
  rows.push({ what: 'orders documents', xsaga: perSaga(xsaga.documents, sagas), baseline: perSaga(baseline.documents, sagas), required: true });
  rows.push({ what: 'orders index operations', xsaga: perSaga(xsaga.indexOperations, sagas), baseline: perSaga(baseline.indexOperations, sagas), required: false });
  const mappingsEqual = JSON.stringify(xsaga.mapping) === JSON.stringify(baseline.mapping);
  const ok = mappingsEqual && rows.every((r) => !r.required || r.xsaga === r.baseline);
  return { ok, sagas, rows, mappingsEqual };
}

/** The check as a Markdown table, a mismatch marked. */
export function formatIoCheck(check: IoCheck): string[] {
  return [
    `| I/O per saga (${check.sagas} sagas of the mix) | xsaga | raw baseline | must match |`,
    '|---|---|---|---|',
    ...check.rows.map((r) => `| ${r.what} | ${r.xsaga} | ${r.baseline} | ${r.required ? (r.xsaga === r.baseline ? 'yes ✓' : 'yes ✗ MISMATCH') : 'no'} |`),
    `| orders index mapping | | | ${check.mappingsEqual ? 'yes ✓' : 'yes ✗ MISMATCH'} |`,
  ];
}

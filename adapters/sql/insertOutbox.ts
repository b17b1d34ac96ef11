import type { Envelope } from '../../runtime/message.ts';
import type { OutboxRecord } from '../../runtime/sagaStore.ts';
import type { SqlQueryable } from '../../runtime/sqlClient.ts';
import { outboxRows, parameters } from './commitStatement.ts';

/**
 * Inserts outbox rows written outside a saga's commit (fired timers, dead letters) and returns
 * them as records, so that the process that wrote them publishes them at once. One insert takes
 * its ids from the sequence in the order of its rows.
 */
export async function insertOutbox(tx: SqlQueryable, rows: readonly { streamId: string; envelope: Envelope }[]): Promise<OutboxRecord[]> {
  if (rows.length === 0) return [];
  const { values, param } = parameters();
  const ids = await tx.query<{ id: string | number }>(`${outboxRows(rows, param)} returning id`, values);
  const sorted = ids.rows.map((row) => String(row.id)).sort((a, b) => Number(a) - Number(b));
  return rows.map((row, i) => ({ id: sorted[i]!, envelope: row.envelope }));
}

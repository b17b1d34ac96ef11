import type { DeadLetterReason, SagaAttention, StoredDeadLetter } from '../../runtime/deadLetter.ts';
import { POISON_MESSAGE } from '../../runtime/deadLetter.ts';
import type { SagaStore } from '../../runtime/sagaStore.ts';
import type { SqlClient } from '../../runtime/sqlClient.ts';
import { deadLetterRows, parameters } from './commitStatement.ts';
import { insertOutbox } from './insertOutbox.ts';

export const isoOf = (value: Date | string): string => (value instanceof Date ? value.toISOString() : new Date(value).toISOString());

type DeadLetterRow = {
  id: string;
  consumer: string;
  stream_id: string;
  machine: string | null;
  message_key: string;
  message: unknown;
  message_text: string | null;
  error: string;
  reason: DeadLetterReason;
  attempts: number;
  created_at: Date | string;
  replayed_at: Date | string | null;
};

const toStoredDeadLetter = (row: DeadLetterRow): StoredDeadLetter => ({
  id: row.id,
  consumer: row.consumer,
  streamId: row.stream_id,
  machine: row.machine,
  messageKey: row.message_key,
  message: row.message_text ?? row.message,
  reason: row.reason,
  error: row.error,
  attempts: row.attempts,
  createdAt: isoOf(row.created_at),
  replayedAt: row.replayed_at === null ? null : isoOf(row.replayed_at),
});

/** The dead-letter table's side of the SQL store: letters written outside a saga's commit, and what an operator reads. */
export function sqlDeadLetters(sql: SqlClient): Pick<SagaStore, 'deadLetter' | 'deadLetters' | 'attention' | 'markDeadLettersReplayed'> {
  return {
    async deadLetter(letters) {
      if (letters.length === 0) return [];
      return sql.transaction(async (tx) => {
        const { values, param } = parameters();
        const inserted = await tx.query<{ id: string }>(`${deadLetterRows(letters, param)} returning id`, values);
        const fresh = new Set(inserted.rows.map((row) => row.id));
        const rows = letters.filter((letter) => fresh.has(letter.id)).map((letter) => ({ streamId: letter.streamId, envelope: letter.envelope }));
        return insertOutbox(tx, rows);
      });
    },

    async deadLetters({ streamId, id, unreplayed, limit }) {
      const values: unknown[] = [limit];
      const where: string[] = [];
      if (streamId !== undefined) where.push(`stream_id = $${values.push(streamId)}`);
      if (id !== undefined) where.push(`id = $${values.push(id)}`);
      if (unreplayed) where.push('replayed_at is null');
      const result = await sql.query<DeadLetterRow>(
        `select * from xsaga_dead_letters ${where.length > 0 ? `where ${where.join(' and ')}` : ''} order by created_at desc, id limit $1`,
        values,
      );
      return result.rows.map(toStoredDeadLetter);
    },

    async attention(streamIds) {
      const found = new Map<string, SagaAttention>();
      if (streamIds.length === 0) return found;
      const result = await sql.query<{ stream_id: string; n: string | number; since: Date | string }>(
        `select stream_id, count(*) as n, min(created_at) as since from xsaga_dead_letters
          where stream_id = any($1::text[]) and replayed_at is null group by stream_id`,
        [streamIds],
      );
      for (const row of result.rows) found.set(row.stream_id, { reason: POISON_MESSAGE, deadLetters: Number(row.n), since: isoOf(row.since) });
      return found;
    },

    async markDeadLettersReplayed(ids) {
      if (ids.length === 0) return;
      await sql.query('update xsaga_dead_letters set replayed_at = now() where id = any($1::text[]) and replayed_at is null', [ids]);
    },
  };
}

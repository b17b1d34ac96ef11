import { afterAll, describe, expect, it } from 'vitest';
import { createPgliteClient } from '../../adapters/pglite/pgliteClient.ts';
import type { SqlClient } from '../../runtime/sqlClient.ts';

describe('in-memory PGlite clients started from the run’s empty cluster (test/pgliteStart.ts)', () => {
  const clients: SqlClient[] = [];
  afterAll(async () => {
    for (const client of clients) await client.close();
  });

  it('each start empty and keep what they write to themselves', async () => {
    const [first, second] = [await createPgliteClient(), await createPgliteClient()];
    clients.push(first!, second!);
    const tables = (sql: SqlClient) => sql.query<{ name: string }>(`select tablename as name from pg_tables where schemaname = 'public' order by 1`);
    expect((await tables(first!)).rows).toEqual([]);
    await first!.query('create table written (id int primary key)');
    await first!.query('insert into written values (1)');
    expect((await tables(first!)).rows).toEqual([{ name: 'written' }]);
    expect((await tables(second!)).rows).toEqual([]);
    const third = await createPgliteClient();
    clients.push(third);
    expect((await tables(third)).rows).toEqual([]);
  });
});

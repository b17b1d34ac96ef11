import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { startOwnPostgres } from '../../chaos/servers/ownPostgres.ts';
import type { OwnServer } from '../../chaos/servers/ownServer.ts';

async function selectOne(address: string): Promise<number> {
  const client = new pg.Client({ connectionString: address });
  await client.connect();
  try {
    return (await client.query<{ one: number }>('select 1 as one')).rows[0]!.one;
  } finally {
    await client.end();
  }
}

describe('a PostgreSQL of its own', () => {
  let postgres: OwnServer | undefined;
  afterAll(async () => {
    await postgres?.dispose();
  });

  it('serves a test database, stops, starts again with its data, and is disposed of', { timeout: 180_000 }, async () => {
    postgres = await startOwnPostgres();
    expect(postgres.kind).toBe('postgres');
    expect(postgres.address).toMatch(/^postgres:\/\/postgres@127\.0\.0\.1:\d+\/test$/);
    expect(postgres.pid()).toBeGreaterThan(0);
    expect(await selectOne(postgres.address)).toBe(1);

    const client = new pg.Client({ connectionString: postgres.address });
    await client.connect();
    await client.query('create table kept (id int)');
    await client.query('insert into kept values (7)');
    const ended = new Promise<Error>((resolve) => client.on('error', resolve));
    await postgres.stop();
    expect(postgres.pid()).toBeUndefined();
    // A fast shutdown ends open sessions.
    expect((await ended).message).toMatch(/terminat/i);
    await expect(selectOne(postgres.address)).rejects.toThrow();

    await postgres.start();
    const again = new pg.Client({ connectionString: postgres.address });
    await again.connect();
    expect((await again.query('select id from kept')).rows).toEqual([{ id: 7 }]);
    await again.end();

    await postgres.stop({ hard: true });
    await postgres.start();
    expect(await selectOne(postgres.address)).toBe(1);
    await postgres.dispose();
    await expect(selectOne(postgres.address)).rejects.toThrow();
    postgres = undefined;
  });
});

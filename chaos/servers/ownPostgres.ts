import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chown, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { freePort } from './freePort.ts';
import type { OwnServer } from './ownServer.ts';

const run = promisify(execFile);

/** Where initdb and pg_ctl are: `pg_config --bindir`, else the PATH. */
async function postgresBinaries(): Promise<{ initdb: string; pgCtl: string }> {
  const bindir = await run('pg_config', ['--bindir']).then(
    ({ stdout }) => stdout.trim(),
    () => '',
  );
  if (bindir && existsSync(join(bindir, 'initdb')) && existsSync(join(bindir, 'pg_ctl'))) {
    return { initdb: join(bindir, 'initdb'), pgCtl: join(bindir, 'pg_ctl') };
  }
  return { initdb: 'initdb', pgCtl: 'pg_ctl' };
}

/** PostgreSQL refuses to run as root: as root, its tools run as the `postgres` user, who owns the data. */
const asRoot = process.getuid?.() === 0;
const SERVER_USER = 'postgres';

async function runAsServerUser(command: string, args: readonly string[]): Promise<string> {
  const [file, argv] = asRoot ? ['runuser', ['-u', SERVER_USER, '--', command, ...args]] : [command, [...args]];
  try {
    const { stdout } = await run(file, argv, { timeout: 120_000 });
    return stdout;
  } catch (error) {
    const failed = error as { stderr?: string; stdout?: string; message: string };
    throw new Error(`${command} ${args.join(' ')} failed: ${failed.stderr || failed.stdout || failed.message}`, { cause: error });
  }
}

async function serverUserIds(): Promise<{ uid: number; gid: number }> {
  const [uid, gid] = await Promise.all([run('id', ['-u', SERVER_USER]), run('id', ['-g', SERVER_USER])]);
  return { uid: Number(uid.stdout.trim()), gid: Number(gid.stdout.trim()) };
}

/**
 * A scratch PostgreSQL of a test's or chaos run's own: initdb into a fresh directory, trust
 * authentication, 127.0.0.1 only, a `test` database. `fsync` is off (the data is thrown away)
 * but `synchronous_commit` stays on, so commits behave as on a real server.
 *
 * @example
 * const postgres = await startOwnPostgres();
 * // … XSAGA_PG_URL: postgres.address …
 * await postgres.stop(); await postgres.start(); // a restart, as an operator would do it
 * await postgres.dispose();
 */
export async function startOwnPostgres(options: { port?: number; dir?: string } = {}): Promise<OwnServer> {
  const { initdb, pgCtl } = await postgresBinaries();
  const port = options.port ?? (await freePort());
  const root = options.dir ?? (await mkdtemp(join(tmpdir(), 'xsaga-own-postgres-')));
  await mkdir(root, { recursive: true });
  const data = join(root, 'data');
  if (asRoot) {
    const { uid, gid } = await serverUserIds();
    await chown(root, uid, gid);
  }
  await runAsServerUser(initdb, ['-D', data, '-U', 'postgres', '--auth=trust', '--encoding=UTF8', '--no-sync']);
  await writeFile(
    join(data, 'postgresql.auto.conf'),
    [`port = ${port}`, `listen_addresses = '127.0.0.1'`, `unix_socket_directories = '${root}'`, 'fsync = off', 'synchronous_commit = on', 'max_connections = 200', ''].join('\n'),
  );
  if (asRoot) {
    const { uid, gid } = await serverUserIds();
    await chown(join(data, 'postgresql.auto.conf'), uid, gid);
  }

  const address = `postgres://postgres@127.0.0.1:${port}/test`;
  const pgCtlArgs = (...args: string[]) => ['-D', data, '-l', join(root, 'server.log'), '-w', '-t', '120', ...args];
  /** From postmaster.pid (its first line) while the server runs. */
  let postmasterPid: number | undefined;

  const server: OwnServer = {
    kind: 'postgres',
    address,
    pid: () => postmasterPid,
    async start() {
      await runAsServerUser(pgCtl, pgCtlArgs('start'));
      postmasterPid = Number((await readFile(join(data, 'postmaster.pid'), 'utf8')).split('\n')[0]);
    },
    async stop(stopOptions = {}) {
      if (postmasterPid === undefined) return;
      await runAsServerUser(pgCtl, pgCtlArgs('-m', stopOptions.hard ? 'immediate' : 'fast', 'stop'));
      postmasterPid = undefined;
    },
    async dispose() {
      await server.stop({ hard: true }).catch(() => undefined);
      await rm(root, { recursive: true, force: true });
    },
  };

  await server.start();
  try {
    const admin = new pg.Client({ connectionString: `postgres://postgres@127.0.0.1:${port}/postgres` });
    await admin.connect();
    try {
      await admin.query('create database test');
    } finally {
      await admin.end();
    }
  } catch (error) {
    await server.dispose();
    throw error;
  }
  return server;
}

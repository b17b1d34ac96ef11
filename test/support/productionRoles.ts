import { once } from 'node:events';
import { testApiKey, apiKeysEnv, type TestApiKey } from './apiKeys.ts';
import { deleteTestIndices, TEST_ES_URL } from './elasticsearch.ts';
import { TEST_KAFKA_BROKERS } from './kafka.ts';
import { uniqueName } from './messages.ts';
import { placeOrderBody } from './orderRequests.ts';
import { startNodeProcess, type RunningProcess } from './processes.ts';
import { TEST_REDIS_URL } from './redis.ts';

export type ProductionRoles = Readonly<{
  /** The api role's URL. */
  url: string;
  /** The read model's alias. */
  alias: string;
  viewer: TestApiKey;
  processes: ReadonlyMap<string, RunningProcess>;
  /** Throws, with its output, if a role's process has exited: for `eventually`'s `failFast`. */
  assertAllAlive(): void;
  /** What made a request to the api fail: the api's exit with its output, if it exited within a few seconds, else `error`. */
  explainFailedRequest(error: unknown): Promise<Error>;
  /** How many orders reached COMPLETED or FAILED, by the read model. */
  terminalCount(): Promise<number>;
  /** Stops the processes and deletes the read model's indices (the topics go with the test run). */
  stop(): Promise<void>;
}>;

/**
 * The roles of xsaga in production mode, one process each, on the shared Kafka and Elasticsearch
 * with a topic prefix and alias of their own, and on the PostgreSQL and Redis that `servers` name
 * (a test's own, to fault them). Every role starts with `XSAGA_ROLES` of one.
 */
export async function startProductionRoles(options: {
  prefix: string;
  pgUrl: string;
  pgSchema: string;
  redisUrl?: string;
  roles: readonly string[];
  env?: Record<string, string>;
}): Promise<ProductionRoles> {
  const name = uniqueName(options.prefix).toLowerCase();
  const viewer = testApiKey('viewer');
  const env = {
    XSAGA_MODE: 'production',
    XSAGA_PG_URL: options.pgUrl,
    XSAGA_PG_SCHEMA: options.pgSchema,
    XSAGA_KAFKA_BROKERS: TEST_KAFKA_BROKERS.join(','),
    XSAGA_TOPIC_PREFIX: name.replaceAll('_', '-'),
    XSAGA_ES_URL: TEST_ES_URL,
    XSAGA_ES_ALIAS: name,
    XSAGA_REDIS_URL: options.redisUrl ?? TEST_REDIS_URL,
    XSAGA_PARTITIONS: '4',
    ...options.env,
  };
  const processes = new Map<string, RunningProcess>();
  const stop = async () => {
    for (const running of processes.values()) await running.stop();
    await deleteTestIndices(name);
  };
  try {
    for (const role of options.roles) {
      const extra = role === 'api' ? { PORT: '0', ...apiKeysEnv(viewer) } : {};
      processes.set(role, await startNodeProcess(['app/main.ts', role], { env: { ...env, ...extra }, ready: /xsaga ready/, timeoutMs: 120_000 }));
    }
  } catch (error) {
    await stop();
    throw error;
  }
  const api = processes.get('api');
  const url = api?.output().match(/listening on (http:\/\/127\.0\.0\.1:\d+)/)?.[1] ?? '';
  const assertAllAlive = () => {
    for (const [role, running] of processes) {
      if (running.child.exitCode !== null || running.child.signalCode !== null) {
        // From where it was ready: a crash prints its error first and the whole state of the error's source after.
        const output = running.output();
        throw new Error(`the ${role} process exited (${running.child.exitCode ?? running.child.signalCode}):\n${output.slice(output.search(/xsaga ready/)).slice(0, 2000)}`);
      }
    }
  };
  return {
    url,
    alias: name,
    viewer,
    processes,
    assertAllAlive,
    async explainFailedRequest(error) {
      const child = api?.child;
      if (child && child.exitCode === null && child.signalCode === null) {
        await Promise.race([once(child, 'exit'), new Promise((resolve) => setTimeout(resolve, 5_000))]);
      }
      try {
        assertAllAlive();
      } catch (exited) {
        return new Error(`${(error as Error).message}: ${(exited as Error).message}`, { cause: error });
      }
      return error as Error;
    },
    async terminalCount() {
      const response = await fetch(`${url}/stats/orders`, { headers: viewer.headers });
      if (response.status !== 200) throw new Error(`GET /stats/orders: ${response.status} ${await response.text()}`);
      const { byStatus } = (await response.json()) as { byStatus: Record<string, number> };
      return (byStatus.COMPLETED ?? 0) + (byStatus.FAILED ?? 0);
    },
    stop,
  };
}

/**
 * Clients placing orders one after the other until stopped, each retrying its order with the same
 * `Idempotency-Key` until it is accepted, as a well-behaved client does through an outage.
 */
export function placeOrdersContinuously(url: string, options: { clients: number; keyPrefix: string }) {
  const accepted: string[] = [];
  const refusals = new Map<string, number>();
  let running = true;
  let abandoned = false;
  let next = 0;
  const client = async () => {
    while (running) {
      const key = `${options.keyPrefix}-${next++}`;
      while (!abandoned) {
        const answer = await fetch(`${url}/orders`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'idempotency-key': key },
          body: JSON.stringify(placeOrderBody()),
          signal: AbortSignal.timeout(30_000),
        }).then(
          async (response) => ({ status: String(response.status), body: (await response.json()) as { orderId?: string } }),
          (error: Error) => ({ status: error.message, body: {} as { orderId?: string } }),
        );
        if (answer.status === '202' && answer.body.orderId) {
          accepted.push(answer.body.orderId);
          break;
        }
        refusals.set(answer.status, (refusals.get(answer.status) ?? 0) + 1);
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    }
  };
  const clients = Array.from({ length: options.clients }, client);
  return {
    /** The ids of the orders accepted so far. */
    accepted: (): readonly string[] => accepted,
    /** Answers other than 202 by status (or network error), retried. */
    refusals: (): ReadonlyMap<string, number> => refusals,
    /** Stops placing new orders; resolves once every order begun was accepted, rejects if one was not in time. */
    async stop(timeoutMs = 120_000): Promise<readonly string[]> {
      running = false;
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<never>((_, reject) => {
        timer = setTimeout(() => {
          abandoned = true;
          reject(new Error(`orders still refused after ${timeoutMs} ms: ${JSON.stringify([...refusals])}`));
        }, timeoutMs);
      });
      try {
        await Promise.race([Promise.all(clients), late]);
      } finally {
        clearTimeout(timer);
      }
      return accepted;
    },
  };
}

import { errors, type Client } from '@elastic/elasticsearch';
import { XsagaError } from '../../runtime/errors.ts';

/** Waits until the cluster is at least yellow; fails at once for what waiting will not mend (a failed product check). */
export async function waitForCluster(client: Client, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const waitMs = Math.max(1, Math.min(5_000, deadline - Date.now()));
      const health = await client.cluster.health({ wait_for_status: 'yellow', timeout: `${waitMs}ms` }, { ignore: [408] });
      if (!health.timed_out) return;
      last = new Error(`cluster health is ${health.status}`);
    } catch (error) {
      if (!isTransient(error)) throw error;
      last = error;
    }
    if (Date.now() >= deadline) throw new XsagaError('UNAVAILABLE', `Elasticsearch not ready after ${timeoutMs} ms: ${(last as Error).message}`, { retryable: true, cause: last });
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

/** Not reachable, overloaded or not ready yet; a failed product check or a refused request will not get better by waiting. */
export function isTransient(error: unknown): boolean {
  if (error instanceof errors.ConnectionError || error instanceof errors.TimeoutError || error instanceof errors.NoLivingConnectionsError) return true;
  return error instanceof errors.ResponseError && ((error.statusCode ?? 0) >= 500 || error.statusCode === 429);
}

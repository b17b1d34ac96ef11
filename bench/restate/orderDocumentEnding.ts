import http from 'node:http';
import { documentOf } from '../../adapters/elasticsearch/viewIndex.ts';
import type { StepAction } from '../../machines/orderTypes.ts';
import type { OrderView } from '../../orders/orderView.ts';
import { orderViewSpec } from '../../orders/orderViewSpec.ts';
import type { OrderSagaOutcome, OrderSagaRequest, SagaEnding } from './orderSaga.ts';

/** The view xsaga's read model would hold for the saga's outcome (the step records stand for the attempts Restate keeps to itself). */
export function finalView({ order }: OrderSagaRequest, outcome: OrderSagaOutcome, updatedAt: string): OrderView {
  const attempts = { capture: 0, reserve: 0, ship: 0, release: 0, refund: 0 } satisfies Record<StepAction, number>;
  for (const { action } of outcome.steps) attempts[action as StepAction] += 1;
  return {
    orderId: order.orderId,
    customerId: order.customerId,
    status: outcome.status === 'completed' ? 'COMPLETED' : 'FAILED',
    state: outcome.status,
    failureReason: outcome.failureReason,
    total: order.total,
    currency: order.currency,
    items: order.items,
    steps: outcome.steps,
    attempts,
    attention: null,
    version: outcome.steps.length + 1,
    // The saga restates v1's chart, the one without the fraud review.
    machineVersion: 1,
    placedAt: order.placedAt,
    updatedAt,
  };
}

/**
 * Indexes the order's document (xsaga's mapping, external version) once the saga has its
 * outcome, as a journaled step. Elasticsearch is reached through a Unix socket: the endpoint runs
 * in a network namespace that has only its own loopback, and the file system is shared.
 */
export function indexOrderAtEnd(options: { socketPath: string; index: string }): SagaEnding {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  const put = (view: OrderView) =>
    new Promise<void>((resolve, reject) => {
      const body = JSON.stringify(documentOf(orderViewSpec, view));
      const request = http.request(
        {
          socketPath: options.socketPath,
          agent,
          method: 'PUT',
          path: `/${options.index}/_doc/${encodeURIComponent(view.orderId)}?version=${view.version}&version_type=external`,
          headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
        },
        (response) => {
          let text = '';
          response.on('data', (chunk: Buffer) => (text += chunk.toString()));
          response.on('end', () => {
            // 409: this version is already there (the step ran again after a lost answer).
            const status = response.statusCode ?? 0;
            if ((status >= 200 && status < 300) || status === 409) resolve();
            else reject(new Error(`Elasticsearch answered ${status}: ${text.slice(0, 300)}`));
          });
        },
      );
      request.on('error', reject);
      request.end(body);
    });
  return async (ctx, request, outcome) => {
    await ctx.run('index the order', () => put(finalView(request, outcome, new Date().toISOString())));
  };
}

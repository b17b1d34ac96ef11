import http2 from 'node:http2';
import { parseArgs } from 'node:util';
import * as restate from '@restatedev/restate-sdk';
import pg from 'pg';
import { indexOrderAtEnd } from './orderDocumentEnding.ts';
import { orderSaga, orderSagaWorkflow } from './orderSaga.ts';
import { createInventoryService, createPaymentService, createShippingService } from './participants.ts';
import { createSqlInventoryService, createSqlPaymentService, createSqlShippingService } from './sqlParticipants.ts';

/** Where the side-effects variant writes: xsaga's participant tables in `schema`, and the orders index. */
export type SideEffectsTarget = Readonly<{
  /** The folder of PostgreSQL's Unix socket, with its user and database. */
  pg: Readonly<{ socketDir: string; user: string; database: string; schema: string }>;
  elasticsearch: Readonly<{ socketPath: string; index: string }>;
}>;

/** The services of either variant: in-memory participants, or participants and an ending that write what xsaga writes. */
function servicesFor(maxAttempts: number, target: SideEffectsTarget | undefined) {
  if (!target) return [orderSaga, createPaymentService(maxAttempts), createInventoryService(maxAttempts), createShippingService(maxAttempts)];
  const db = new pg.Pool({ host: target.pg.socketDir, user: target.pg.user, database: target.pg.database, max: 10, options: `-c search_path=${target.pg.schema}` });
  return [
    orderSagaWorkflow(indexOrderAtEnd(target.elasticsearch)),
    createSqlPaymentService(db, maxAttempts),
    createSqlInventoryService(db, maxAttempts),
    createSqlShippingService(db, maxAttempts),
  ];
}

/**
 * The SDK service endpoint: the order saga and its three participants in one process, served as
 * HTTP/2 on 127.0.0.1. Run inside the benchmark's network namespace by `startRestate`.
 */
async function main(): Promise<void> {
  const { values } = parseArgs({ options: { port: { type: 'string' }, 'max-attempts': { type: 'string' }, 'side-effects': { type: 'string' } } });
  const port = Number(values.port ?? 9080);
  const maxAttempts = Number(values['max-attempts'] ?? 5);
  const target = values['side-effects'] === undefined ? undefined : (JSON.parse(values['side-effects']) as SideEffectsTarget);
  const handler = restate.createEndpointHandler({ services: servicesFor(maxAttempts, target) });
  const server = http2.createServer(handler);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  // Goes to the endpoint's log: registration does not wait for it, it retries until discovery succeeds.
  process.stdout.write(`restate endpoint listening on 127.0.0.1:${port}\n`);
  // The server keeps HTTP/2 sessions open to Restate: close() alone would wait for them.
  const stop = () => process.exit(0);
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

if (import.meta.main) await main();

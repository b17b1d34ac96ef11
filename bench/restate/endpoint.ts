import http2 from 'node:http2';
import { parseArgs } from 'node:util';
import * as restate from '@restatedev/restate-sdk';
import { orderSaga } from './orderSaga.ts';
import { createInventoryService, createPaymentService, createShippingService } from './participants.ts';

/**
 * The SDK service endpoint: the order saga and its three participants in one process, served as
 * HTTP/2 on 127.0.0.1. Run inside the benchmark's network namespace by `startRestate`.
 */
async function main(): Promise<void> {
  const { values } = parseArgs({ options: { port: { type: 'string' }, 'max-attempts': { type: 'string' } } });
  const port = Number(values.port ?? 9080);
  const maxAttempts = Number(values['max-attempts'] ?? 5);
  const handler = restate.createEndpointHandler({
    services: [orderSaga, createPaymentService(maxAttempts), createInventoryService(maxAttempts), createShippingService(maxAttempts)],
  });
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

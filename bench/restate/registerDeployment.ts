import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';

export type RegistrationTarget = Readonly<{ admin: string; ingress: string; endpoint: string; readyBy: number }>;

/**
 * Registers the SDK endpoint with restate-server's admin API and waits until the ingress routes to
 * the order saga. Both may still be starting, so every step is retried until `readyBy`. Runs inside
 * the namespace: from outside it, the namespace's loopback cannot be reached.
 */
export async function registerDeployment(target: RegistrationTarget): Promise<void> {
  await untilReady('the admin API registers the endpoint', target.readyBy, async () => {
    const response = await fetch(`${target.admin}/deployments`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ uri: target.endpoint }),
    });
    return response.ok || `${response.status} ${await response.text()}`;
  });
  await untilReady('the ingress knows the order saga', target.readyBy, async () => {
    // A workflow that never ran: a ready ingress says the invocation is unknown, not the service.
    const response = await fetch(`${target.ingress}/restate/workflow/orderSaga/readiness-probe/output`);
    const body = await response.text();
    return (response.status === 404 && body.includes('invocation not found')) || `${response.status} ${body}`;
  });
}

/** Calls `attempt` until it returns true; anything else (or a thrown error) is logged and tried again shortly. */
async function untilReady(what: string, readyBy: number, attempt: () => Promise<true | string>): Promise<void> {
  let last = '';
  while (Date.now() < readyBy) {
    const answer = await attempt().catch((error: unknown) => String(error));
    if (answer === true) return;
    last = answer;
    await sleep(100);
  }
  throw new Error(`timed out waiting until ${what}; last answer: ${last}`);
}

if (import.meta.main) {
  const { values } = parseArgs({
    options: { admin: { type: 'string' }, ingress: { type: 'string' }, endpoint: { type: 'string' }, 'ready-by': { type: 'string' } },
  });
  await registerDeployment({ admin: values.admin!, ingress: values.ingress!, endpoint: values.endpoint!, readyBy: Number(values['ready-by']) });
}

import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

export const SAGAS_USAGE = `usage: xsaga sagas list [--attention] [--state S] [--machine M] [--limit N] [--json]
       xsaga sagas retry|resume|cancel <sagaId> [--reason TEXT]
       xsaga sagas retry|resume|cancel (--attention | --state S) [--machine M] [--reason TEXT] [--dry-run]

Talks to a running xsaga's admin API: XSAGA_URL (default http://127.0.0.1:$PORT, PORT 3000) with
the key in XSAGA_API_KEY (an operator's to act, a viewer's to list), or, on the embedded default,
the operator key in $XSAGA_DATA_DIR/operator.key. A cancel needs --reason.`;

type Env = Readonly<Record<string, string | undefined>>;
export type SagasCommandOptions = Readonly<{ env?: Env; print?: (text: string) => void; fetch?: typeof fetch }>;

async function keyOf(env: Env): Promise<string | undefined> {
  if (env.XSAGA_API_KEY) return env.XSAGA_API_KEY;
  const dataDir = env.XSAGA_DATA_DIR ?? './.xsaga';
  if (dataDir === ':memory:') return undefined;
  return (await readFile(join(dataDir, 'operator.key'), 'utf8').catch(() => undefined))?.trim();
}

type Listed = { total: number; items: { machine: string; orderId: string; state: string; version: number; updatedAt: string; attention: { reason: string; since: string } | null }[] };

/**
 * `xsaga sagas`: the operator's list and actions from a terminal, through the same admin routes
 * as the dashboard; resolves to the exit code (0 done, 1 refused or failed, 2 bad arguments).
 */
export async function runSagasCommand(args: string[], options: SagasCommandOptions = {}): Promise<number> {
  const env = options.env ?? process.env;
  const print = options.print ?? ((text: string) => console.log(text));
  const http = options.fetch ?? fetch;
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      options: {
        attention: { type: 'boolean', default: false },
        state: { type: 'string' },
        machine: { type: 'string' },
        limit: { type: 'string', default: '50' },
        reason: { type: 'string' },
        'dry-run': { type: 'boolean', default: false },
        json: { type: 'boolean', default: false },
      },
    });
  } catch (error) {
    print(`${(error as Error).message}\n\n${SAGAS_USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  const [verb, sagaId, ...extra] = positionals;
  const acting = verb === 'retry' || verb === 'resume' || verb === 'cancel';
  const bulk = acting && sagaId === undefined;
  if ((verb !== 'list' && !acting) || extra.length > 0 || (verb === 'list' && sagaId !== undefined) || (bulk && !values.attention && values.state === undefined)) {
    print(SAGAS_USAGE);
    return 2;
  }
  const base = env.XSAGA_URL ?? `http://127.0.0.1:${env.PORT ?? '3000'}`;
  const key = await keyOf(env);
  const headers: Record<string, string> = { 'content-type': 'application/json', ...(key ? { authorization: `Bearer ${key}` } : {}) };
  const call = async (path: string, init: RequestInit = {}) => {
    const response = await http(`${base}/admin${path}`, { ...init, headers });
    return { status: response.status, body: (await response.json().catch(() => ({}))) as Record<string, unknown> };
  };
  const filter = { ...(values.attention ? { attention: true } : {}), ...(values.state ? { state: values.state } : {}), ...(values.machine ? { machine: values.machine } : {}) };

  let answer: { status: number; body: Record<string, unknown> };
  if (verb === 'list') {
    const query = new URLSearchParams({ ...Object.fromEntries(Object.entries(filter).map(([k, v]) => [k, String(v)])), limit: values.limit });
    answer = await call(`/sagas?${query}`);
    if (answer.status === 200 && !values.json) {
      const listed = answer.body as unknown as Listed;
      print(`${listed.total} saga(s)${listed.total > listed.items.length ? `, ${listed.items.length} shown` : ''}`);
      for (const saga of listed.items) {
        const attention = saga.attention ? `  ${saga.attention.reason} since ${saga.attention.since}` : '';
        print(`${saga.machine}  ${saga.orderId}  v${saga.version}  ${saga.state}  updated ${saga.updatedAt}${attention}`);
      }
      return 0;
    }
  } else if (bulk) {
    answer = await call(`/sagas/${verb}${values['dry-run'] ? '?dryRun=true' : ''}`, { method: 'POST', body: JSON.stringify({ filter, reason: values.reason }) });
  } else {
    answer = await call(`/sagas/${encodeURIComponent(sagaId!)}/${verb}`, { method: 'POST', body: JSON.stringify(values.reason === undefined ? {} : { reason: values.reason }) });
  }
  print(values.json || answer.status >= 300 ? JSON.stringify(answer.body, null, 2) : formatDone(answer.body));
  return answer.status < 300 && !(bulk && Number(answer.body.refused ?? 0) > 0) ? 0 : 1;
}

function formatDone(body: Record<string, unknown>): string {
  if (body.dryRun === true) return `dry run: ${String(body.matched)} matched, ${String(body.wouldApply)} of ${String(body.considered)} would take the action`;
  if (body.applied !== undefined) return `${String(body.applied)} applied, ${String(body.refused)} refused, of ${String(body.matched)} matched`;
  return `${String(body.sagaId)}: now version ${String(body.version)}, ${String(body.state)}`;
}

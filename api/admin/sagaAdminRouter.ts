import { Router, type Request, type Response } from 'express';
import type { OrderQuery, OrderReadModel } from '../../orders/orderReadModel.ts';
import type { OrderView } from '../../orders/orderView.ts';
import { validationError, type FieldError } from '../../runtime/errors.ts';
import type { OperatorActions, OperatorOutcome } from '../../runtime/operatorActions.ts';
import type { OperatorAction } from '../../runtime/sagaDefinition.ts';
import type { SagaStore } from '../../runtime/sagaStore.ts';
import { POISON_MESSAGE } from '../../runtime/deadLetter.ts';
import { callerOf } from '../identifyCaller.ts';
import { pathId } from '../pathId.ts';
import { sendProblem } from '../problem.ts';
import { singleParam, wholeNumberParam } from '../queryParams.ts';

const ACTIONS: readonly OperatorAction[] = ['retry', 'resume', 'cancel'];
/** A bulk action touches at most this many sagas per request; run it again for the rest. */
export const BULK_LIMIT = 500;

export type SagaAdminDeps = Readonly<{
  actions: OperatorActions;
  /** Dead letters nobody replayed also make their sagas need a human. */
  store: Pick<SagaStore, 'deadLetters'>;
  /** Which read model holds the views of which machine's sagas, by machine id. */
  readModels: Readonly<Record<string, OrderReadModel>>;
}>;

type Filter = Readonly<{ machine?: string; query: OrderQuery }>;
type Found = { total: number; items: (OrderView & { machine: string })[] };

function filterOf(source: Record<string, unknown>, errors: FieldError[], readModels: SagaAdminDeps['readModels'], prefix = ''): Filter {
  const text = (name: string) => {
    const value = source[name];
    if (value === undefined || value === '') return undefined;
    if (typeof value !== 'string') errors.push({ field: `${prefix}${name}`, detail: 'must be a string' });
    return typeof value === 'string' ? value : undefined;
  };
  const machine = text('machine');
  if (machine !== undefined && !(machine in readModels)) errors.push({ field: `${prefix}machine`, detail: `must be one of ${Object.keys(readModels).join(', ')}` });
  const attention = source.attention;
  let onlyAttention: boolean | undefined;
  if (attention === true || attention === 'true') onlyAttention = true;
  else if (attention === false || attention === 'false') onlyAttention = false;
  else if (attention !== undefined && attention !== '') errors.push({ field: `${prefix}attention`, detail: 'must be true or false' });
  return { machine, query: { state: text('state'), attention: onlyAttention } };
}

/** The answer to one action: 202 when applied, a problem that says why when refused. */
function answer(res: Response, req: Request, outcome: OperatorOutcome): void {
  if (outcome.kind === 'applied') {
    res.status(202).json({ sagaId: outcome.streamId, version: outcome.version, state: outcome.state, eventId: outcome.messageId });
    return;
  }
  const status = outcome.why === 'NOT_FOUND' ? 404 : 409;
  sendProblem(res, {
    status,
    type: `urn:xsaga:problem:${outcome.why.toLowerCase().replaceAll('_', '-')}`,
    detail: outcome.detail,
    instance: req.originalUrl,
    ...(outcome.version === undefined ? {} : { version: outcome.version, state: outcome.state }),
  });
}

function reasonOf(body: unknown, action: OperatorAction, errors: FieldError[]): string {
  const reason = (body as { reason?: unknown } | undefined)?.reason;
  if (reason === undefined && action !== 'cancel') return '';
  if (typeof reason !== 'string' || reason.trim() === '' || reason.length > 500) {
    errors.push({ field: 'reason', detail: `must be a text of 1 to 500 characters${action === 'cancel' ? ' (a cancel says why)' : ''}` });
    return '';
  }
  return reason;
}

function expectedVersionOf(body: unknown, errors: FieldError[]): number | undefined {
  const value = (body as { expectedVersion?: unknown } | undefined)?.expectedVersion;
  if (value === undefined) return undefined;
  if (!Number.isSafeInteger(value) || (value as number) < 1) errors.push({ field: 'expectedVersion', detail: 'must be a whole number ≥ 1' });
  return value as number;
}

function actionOf(req: Request): OperatorAction {
  const action = req.params.action as OperatorAction;
  if (!ACTIONS.includes(action)) throw validationError([{ field: 'action', detail: `must be one of ${ACTIONS.join(', ')}` }]);
  return action;
}

const operatorOf = (res: Response): string => {
  const caller = callerOf(res);
  return typeof caller === 'object' ? caller.name : 'unknown';
};

/**
 * What an operator sees and does under `/admin` (behind its guard: reading needs a viewer key,
 * acting an operator key): the sagas that need a human, and retry, resume and cancel, one saga at a
 * time or in bulk by filter, each an event in the saga's own stream.
 */
export function sagaAdminRouter(deps: SagaAdminDeps): Router {
  const router = Router();
  const machinesOf = (filter: Filter) => (filter.machine ? [filter.machine] : Object.keys(deps.readModels));

  async function find(filter: Filter, limit: number, offset: number): Promise<Found> {
    const results = await Promise.all(machinesOf(filter).map(async (machine) => ({ machine, found: await deps.readModels[machine]!.search({ ...filter.query, limit, offset }) })));
    const found: Found = {
      total: results.reduce((sum, r) => sum + r.found.total, 0),
      items: results.flatMap((r) => r.found.items.map((view) => ({ machine: r.machine, ...view }))),
    };
    return filter.query.attention === true && offset === 0 ? withPoisoned(filter, found, limit) : found;
  }

  /** Sagas with dead letters nobody replayed need a human too, whatever their state: they come first, oldest first. */
  async function withPoisoned(filter: Filter, found: Found, limit: number): Promise<Found> {
    const letters = [...(await deps.store.deadLetters({ unreplayed: true, limit: BULK_LIMIT }))].reverse();
    const listed = new Set(found.items.map((item) => item.orderId));
    const extra = [];
    for (const letter of letters) {
      if (listed.has(letter.streamId)) continue;
      listed.add(letter.streamId);
      for (const machine of machinesOf(filter)) {
        const view = await deps.readModels[machine]!.get(letter.streamId);
        if (!view || (filter.query.state !== undefined && view.state !== filter.query.state)) continue;
        const attention = { reason: POISON_MESSAGE, since: letter.createdAt, attempts: letter.attempts, lastError: letter.error };
        extra.push({ machine, ...view, attention });
      }
    }
    return { total: found.total + extra.length, items: [...extra, ...found.items].slice(0, limit) };
  }

  router.get('/sagas', async (req, res) => {
    const errors: FieldError[] = [];
    const filter = filterOf(
      { machine: singleParam(req.query, 'machine', errors), state: singleParam(req.query, 'state', errors), attention: singleParam(req.query, 'attention', errors) },
      errors,
      deps.readModels,
    );
    const limit = wholeNumberParam(req.query, 'limit', { min: 0, max: 500, fallback: 50 }, errors);
    const offset = wholeNumberParam(req.query, 'offset', { min: 0, max: 10_000, fallback: 0 }, errors);
    if (errors.length > 0) throw validationError(errors);
    res.json(await find(filter, limit, offset));
  });

  router.post('/sagas/:id/:action', async (req, res) => {
    const streamId = pathId(req, 'id');
    const action = actionOf(req);
    const errors: FieldError[] = [];
    const reason = reasonOf(req.body, action, errors);
    const expectedVersion = expectedVersionOf(req.body, errors);
    if (errors.length > 0) throw validationError(errors);
    answer(res, req, await deps.actions.act({ streamId, action, operator: operatorOf(res), reason, expectedVersion }));
  });

  // Bulk: the same action on every saga a filter finds (at most BULK_LIMIT); `?dryRun=true` only counts.
  router.post('/sagas/:action', async (req, res) => {
    const action = actionOf(req);
    const errors: FieldError[] = [];
    const body = (req.body ?? {}) as { filter?: unknown };
    if (body.filter !== undefined && (typeof body.filter !== 'object' || body.filter === null || Array.isArray(body.filter))) {
      errors.push({ field: 'filter', detail: 'must be an object: { machine?, state?, attention? }' });
    }
    const filter = filterOf((body.filter ?? {}) as Record<string, unknown>, errors, deps.readModels, 'filter.');
    if (filter.query.state === undefined && filter.query.attention === undefined) {
      errors.push({ field: 'filter', detail: 'must name a state or attention: a bulk action never takes every saga' });
    }
    const reason = reasonOf(req.body, action, errors);
    const dryRun = singleParam(req.query, 'dryRun', errors);
    if (dryRun !== undefined && dryRun !== 'true' && dryRun !== 'false') errors.push({ field: 'dryRun', detail: 'must be true or false' });
    if (errors.length > 0) throw validationError(errors);
    const found = await find(filter, BULK_LIMIT, 0);
    const sagas = found.items.slice(0, BULK_LIMIT);
    if (dryRun === 'true') {
      const refusals = await Promise.all(sagas.map((saga) => deps.actions.check(saga.orderId, action)));
      res.json({ dryRun: true, action, matched: found.total, considered: sagas.length, wouldApply: refusals.filter((r) => r === undefined).length });
      return;
    }
    const operator = operatorOf(res);
    const outcomes: OperatorOutcome[] = [];
    // One at a time: each is its own commit, and an operator's bulk action should not flood the store.
    for (const saga of sagas) outcomes.push(await deps.actions.act({ streamId: saga.orderId, action, operator, reason, expectedVersion: saga.version }));
    res.json({
      dryRun: false,
      action,
      matched: found.total,
      applied: outcomes.filter((o) => o.kind === 'applied').length,
      refused: outcomes.filter((o) => o.kind === 'refused').length,
      results: outcomes.map((o) => (o.kind === 'applied' ? { sagaId: o.streamId, applied: true, version: o.version, state: o.state } : { sagaId: o.streamId, applied: false, why: o.why, detail: o.detail })),
    });
  });

  return router;
}

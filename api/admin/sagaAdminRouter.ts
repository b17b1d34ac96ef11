import { Router, type Request, type Response } from 'express';
import type { OperatorActions, OperatorOutcome } from '../../runtime/operatorActions.ts';
import type { OperatorAction } from '../../runtime/sagaDefinition.ts';
import type { SagaStore } from '../../runtime/sagaStore.ts';
import type { SagaViewBase, SagaViewStore, ViewQuery } from '../../runtime/viewStore.ts';
import { POISON_MESSAGE } from '../../runtime/deadLetter.ts';
import { callerOf } from '../identifyCaller.ts';
import { sendProblem } from '../problem.ts';
import { validateRequest } from '../validateRequest.ts';
import { ACTIONS, BULK_LIMIT, sagaAdminSchemas } from './sagaAdminContract.ts';

export type SagaAdminDeps = Readonly<{
  actions: OperatorActions;
  /** Dead letters nobody replayed also make their sagas need a human. */
  store: Pick<SagaStore, 'deadLetters'>;
  /** Which read model holds the views of which machine's sagas, by machine id. */
  readModels: Readonly<Record<string, SagaViewStore<SagaViewBase>>>;
}>;

type Filter = Readonly<{ machine?: string; query: Readonly<{ state?: string; attention?: boolean }> }>;
type Found = { total: number; items: (SagaViewBase & { machine: string })[] };

/** A filter as a view query: what waits for a human has `attention` set, and the longest waiting comes first. */
const viewQueryOf = ({ state, attention }: Filter['query']): ViewQuery => ({
  state,
  ...(attention === true ? { exists: 'attention', sort: 'oldestUpdate' } : attention === false ? { missing: 'attention' } : {}),
});

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

const operatorOf = (res: Response): string => {
  const caller = callerOf(res);
  return typeof caller === 'object' ? caller.name : 'unknown';
};

/**
 * What an operator sees and does under `/admin` (behind its guard: reading needs a viewer key,
 * acting an operator key): the sagas that need a human, and retry, resume and cancel, one saga at a
 * time or in bulk by filter, each an event in the saga's own stream (`sagaAdminContract.ts`
 * documents them).
 */
export function sagaAdminRouter(deps: SagaAdminDeps): Router {
  const router = Router();
  const schemas = sagaAdminSchemas(Object.keys(deps.readModels));
  const machinesOf = (filter: Filter) => (filter.machine ? [filter.machine] : Object.keys(deps.readModels));
  const sagaIdOf = (item: Found['items'][number]) => deps.readModels[item.machine]!.idOf(item);

  async function find(filter: Filter, limit: number, offset: number): Promise<Found> {
    const results = await Promise.all(machinesOf(filter).map(async (machine) => ({ machine, found: await deps.readModels[machine]!.search({ ...viewQueryOf(filter.query), limit, offset }) })));
    const found: Found = {
      total: results.reduce((sum, r) => sum + r.found.total, 0),
      items: results.flatMap((r) => r.found.items.map((view) => ({ machine: r.machine, ...view }))),
    };
    return filter.query.attention === true && offset === 0 ? withPoisoned(filter, found, limit) : found;
  }

  /** Sagas with dead letters nobody replayed need a human too, whatever their state: they come first, oldest first. */
  async function withPoisoned(filter: Filter, found: Found, limit: number): Promise<Found> {
    const letters = [...(await deps.store.deadLetters({ unreplayed: true, limit: BULK_LIMIT }))].reverse();
    const listed = new Set(found.items.map(sagaIdOf));
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
    const { machine, state, attention, limit, offset } = validateRequest(schemas.listQuery, req.query);
    res.json(await find({ machine, query: { state, attention } }, limit, offset));
  });

  for (const action of ACTIONS) {
    router.post(`/sagas/:id/${action}`, async (req, res) => {
      const { id: streamId } = validateRequest(schemas.sagaParams, req.params);
      const { reason, expectedVersion } = validateRequest(schemas.actionBody(action), req.body);
      answer(res, req, await deps.actions.act({ streamId, action, operator: operatorOf(res), reason: reason ?? '', expectedVersion }));
    });
    // Bulk: the same action on every saga a filter finds (at most BULK_LIMIT); `?dryRun=true` only counts.
    router.post(`/sagas/${action}`, async (req, res) => bulkAction(req, res, action));
  }

  async function bulkAction(req: Request, res: Response, action: OperatorAction): Promise<void> {
    const body = validateRequest(schemas.bulkBody(action), req.body);
    const { dryRun } = validateRequest(schemas.bulkQuery, req.query);
    const { machine, state, attention } = body.filter;
    const reason = body.reason ?? '';
    const filter: Filter = { machine, query: { state, attention } };
    const found = await find(filter, BULK_LIMIT, 0);
    const sagas = found.items.slice(0, BULK_LIMIT);
    if (dryRun === true) {
      const refusals = await Promise.all(sagas.map((saga) => deps.actions.check(sagaIdOf(saga), action)));
      res.json({ dryRun: true, action, matched: found.total, considered: sagas.length, wouldApply: refusals.filter((r) => r === undefined).length });
      return;
    }
    const operator = operatorOf(res);
    const outcomes: OperatorOutcome[] = [];
    // One at a time: each is its own commit, and an operator's bulk action should not flood the store.
    for (const saga of sagas) outcomes.push(await deps.actions.act({ streamId: sagaIdOf(saga), action, operator, reason, expectedVersion: saga.version }));
    res.json({
      dryRun: false,
      action,
      matched: found.total,
      applied: outcomes.filter((o) => o.kind === 'applied').length,
      refused: outcomes.filter((o) => o.kind === 'refused').length,
      results: outcomes.map((o) => (o.kind === 'applied' ? { sagaId: o.streamId, applied: true, version: o.version, state: o.state } : { sagaId: o.streamId, applied: false, why: o.why, detail: o.detail })),
    });
  }

  return router;
}

import { z } from 'zod';
import { orderViewSchema } from '../../orders/orderViewSchema.ts';
import type { OperatorAction } from '../../runtime/sagaDefinition.ts';
import { problemWith } from '../openapi/problemSchema.ts';
import { json, problems, type RouteContract } from '../openapi/routeContract.ts';
import { pathId } from '../pathId.ts';
import { booleanParam, oneOfParam, textParam, wholeNumberParam } from '../queryParams.ts';

export const ACTIONS: readonly OperatorAction[] = ['retry', 'resume', 'cancel'];
/** A bulk action touches at most this many sagas per request; run it again for the rest. */
export const BULK_LIMIT = 500;

const given = (value: unknown): unknown => (value === '' ? undefined : value);
/** A JSON filter may say `true` or `"true"`: the dashboard sends what its query string holds. */
const attentionFlag = z
  .preprocess((value) => (value === 'true' ? true : value === 'false' ? false : given(value)), z.boolean({ error: 'must be true or false' }).optional())
  .meta({ description: 'Only the sagas that wait for a human (true), or only the others (false).' });

function reason(action: OperatorAction) {
  const detail = `must be a text of 1 to 500 characters${action === 'cancel' ? ' (a cancel says why)' : ''}`;
  const text = z
    .string({ error: detail })
    .refine((value) => value.trim() !== '', { error: detail, abort: true })
    .max(500, { error: detail })
    .meta({ description: 'Why: kept in the saga’s stream with who and when.' });
  return action === 'cancel' ? text : text.optional();
}

/** A body that is not there (no JSON sent) is an empty one: `reason` and `expectedVersion` are optional but for a cancel. */
const orEmpty = (value: unknown): unknown => value ?? {};

/** The request schemas of the admin saga routes; `machineIds` are the machines whose sagas have a read model. */
export function sagaAdminSchemas(machineIds: readonly string[]) {
  const machines = (machineIds.length > 0 ? machineIds : ['']) as [string, ...string[]];
  const oneOfMachines = `must be one of ${machineIds.join(', ')}`;
  const filter = z
    .object(
      {
        machine: z
          .preprocess(given, z.enum(machines, { error: (issue) => (typeof issue.input === 'string' ? oneOfMachines : 'must be a string') }).optional())
          .meta({ description: 'Only the sagas of this machine.' }),
        state: z.preprocess(given, z.string().optional()).meta({ description: 'Only the sagas in this state (dotted).' }),
        attention: attentionFlag,
      },
      { error: 'must be an object: { machine?, state?, attention? }' },
    )
    .meta({ id: 'SagaFilter' });
  return {
    listQuery: z.object({
      machine: oneOfParam(machines).meta({ description: 'Only the sagas of this machine.' }),
      state: textParam().meta({ description: 'Only the sagas in this state (dotted).' }),
      attention: booleanParam().meta({ description: 'true: only those waiting for a human, longest waiting first.' }),
      limit: wholeNumberParam({ min: 0, max: 500, fallback: 50 }),
      offset: wholeNumberParam({ min: 0, max: 10_000, fallback: 0 }),
    }),
    sagaParams: z.object({ id: pathId().meta({ description: 'The saga’s id (an order id).' }) }),
    actionBody: (action: OperatorAction) =>
      z.preprocess(
        orEmpty,
        z.object({
          reason: reason(action),
          expectedVersion: z
            .number({ error: 'must be a whole number ≥ 1' })
            .int({ error: 'must be a whole number ≥ 1', abort: true })
            .min(1, { error: 'must be a whole number ≥ 1' })
            .optional()
            .meta({ description: 'Refuse (409) unless the saga is still at this version.' }),
        }),
      ),
    bulkQuery: z.object({ dryRun: booleanParam().meta({ description: 'true: only count what the action would apply to.' }) }),
    bulkBody: (action: OperatorAction) =>
      z.preprocess(
        orEmpty,
        z
          .object({ filter: z.preprocess(orEmpty, filter), reason: reason(action) })
          .refine((body) => body.filter.state !== undefined || body.filter.attention !== undefined, {
            error: 'must name a state or attention: a bulk action never takes every saga',
            path: ['filter'],
          }),
      ),
  };
}

const operatorRefusal = problemWith('OperatorRefusal', {
  version: z.number().int().positive().optional().meta({ description: 'The saga’s version when it refused.' }),
  state: z.string().optional().meta({ description: 'The saga’s state when it refused.' }),
});

const sagaListSchema = z
  .strictObject({ total: z.number().int().nonnegative(), items: z.array(orderViewSchema.extend({ machine: z.string() })) })
  .meta({ id: 'SagaList' });

const actionApplied = z
  .strictObject({ sagaId: z.string(), version: z.number().int().positive(), state: z.string(), eventId: z.string().meta({ description: 'The id of the event that records the action.' }) })
  .meta({ id: 'ActionApplied' });

const bulkOutcome = z
  .union([
    z.strictObject({ dryRun: z.literal(true), action: z.enum(['retry', 'resume', 'cancel']), matched: z.number().int().nonnegative(), considered: z.number().int().nonnegative(), wouldApply: z.number().int().nonnegative() }),
    z.strictObject({
      dryRun: z.literal(false),
      action: z.enum(['retry', 'resume', 'cancel']),
      matched: z.number().int().nonnegative(),
      applied: z.number().int().nonnegative(),
      refused: z.number().int().nonnegative(),
      results: z.array(
        z.union([
          z.strictObject({ sagaId: z.string(), applied: z.literal(true), version: z.number().int().positive(), state: z.string() }),
          z.strictObject({ sagaId: z.string(), applied: z.literal(false), why: z.enum(['NOT_FOUND', 'NO_SUCH_ACTION', 'NOT_ACCEPTED', 'MOVED_ON']), detail: z.string() }),
        ]),
      ),
    }),
  ])
  .meta({ id: 'BulkActionOutcome' });

const WHAT_ACTIONS_DO: Record<OperatorAction, string> = {
  retry: 'Retry: a saga backing off tries again now, and its backoff starts over',
  resume: 'Resume: a parked saga tries its compensation again',
  cancel: 'Cancel: a forward saga compensates what it did and ends FAILED with CANCELLED',
};

/** The admin routes on sagas, their paths from the root (`/admin/…`): reading needs a viewer key, acting an operator key. */
export function sagaAdminRoutes(machineIds: readonly string[]): RouteContract[] {
  const schemas = sagaAdminSchemas(machineIds);
  const one = (action: OperatorAction): RouteContract => ({
    method: 'post',
    path: `/admin/sagas/{id}/${action}`,
    operationId: `${action}Saga`,
    summary: WHAT_ACTIONS_DO[action],
    description: 'An event in the saga’s stream (who, when, why), guarded by the expected version.',
    tag: 'Admin',
    access: 'operator',
    request: { params: schemas.sagaParams, body: { required: action === 'cancel', content: { 'application/json': { schema: schemas.actionBody(action) } } } },
    responses: {
      202: json(actionApplied, 'Applied.'),
      ...problems({
        400: 'The id or a field of the body is not valid.',
        404: { description: 'No such saga.', schema: operatorRefusal },
        409: { description: 'The saga’s state does not take the action, or it moved on.', schema: operatorRefusal },
        413: 'The body is over 64 kB.',
        503: 'The event store did not answer; try again.',
      }),
    },
  });
  const bulk = (action: OperatorAction): RouteContract => ({
    method: 'post',
    path: `/admin/sagas/${action}`,
    operationId: `${action}Sagas`,
    summary: `${action[0]!.toUpperCase()}${action.slice(1)} every saga a filter finds (${BULK_LIMIT} at most, one at a time)`,
    tag: 'Admin',
    access: 'operator',
    request: { query: schemas.bulkQuery, body: { required: true, content: { 'application/json': { schema: schemas.bulkBody(action) } } } },
    responses: {
      200: json(bulkOutcome, 'What was done, saga by saga; with `dryRun=true` only counted.'),
      ...problems({ 400: 'The filter, the reason or `dryRun` is not valid.', 413: 'The body is over 64 kB.', 503: 'The read model or the event store did not answer; try again.' }),
    },
  });
  return [
    {
      method: 'get',
      path: '/admin/sagas',
      operationId: 'listSagas',
      summary: 'Sagas by filter; with `attention=true` those waiting for a human, longest waiting first',
      tag: 'Admin',
      access: 'viewer',
      request: { query: schemas.listQuery },
      responses: { 200: json(sagaListSchema, 'A page of the sagas found.'), ...problems({ 400: 'A parameter is not valid.', 503: 'The read model did not answer in time; try again.' }) },
    },
    ...ACTIONS.map(one),
    ...ACTIONS.map(bulk),
  ];
}

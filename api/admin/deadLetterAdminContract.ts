import { z } from 'zod';
import type { DeadLetterReason } from '../../runtime/deadLetter.ts';
import { json, problems, type RouteContract } from '../openapi/routeContract.ts';
import { pathId } from '../pathId.ts';
import { booleanParam, textParam, wholeNumberParam } from '../queryParams.ts';

export const deadLetterQuery = z.object({
  streamId: textParam().meta({ description: 'Only the dead letters of this saga.' }),
  unreplayed: booleanParam().meta({ description: 'true: only those nobody replayed yet.' }),
  limit: wholeNumberParam({ min: 1, max: 500, fallback: 50 }),
});

export const deadLetterParams = z.object({ id: pathId().meta({ description: 'The dead letter’s id, as listed.' }) });

// A record over the type's members: a reason added to the runtime and not here fails the type check.
const REASONS: Record<DeadLetterReason, true> = {
  UNDECODABLE: true,
  MALFORMED: true,
  UNKNOWN_STREAM: true,
  MACHINE_NOT_REGISTERED: true,
  REPLAY_FAILED: true,
  UNEXPECTED_EVENT: true,
  SCHEMA_VIOLATION: true,
  UNSOLICITED_REPLY: true,
  UNEXPECTED_COMMAND: true,
  HANDLER_FAILED: true,
  STORE_REJECTED: true,
  READ_MODEL_REJECTED: true,
};

const deadLetterList = z
  .strictObject({
    items: z.array(
      z
        .strictObject({
          id: z.string(),
          consumer: z.string().meta({ description: 'The consumer that could not handle it: the saga worker, a participant, the projector.' }),
          streamId: z.string(),
          machine: z.string().nullable().meta({ description: '`machineId@version` when the message belongs to a known saga.' }),
          messageKey: z.string(),
          message: z.unknown().meta({ description: 'The message as it arrived (JSON, or its text when it was no JSON).' }),
          reason: z.enum(Object.keys(REASONS) as [DeadLetterReason, ...DeadLetterReason[]]),
          error: z.string(),
          attempts: z.number().int().nonnegative(),
          createdAt: z.iso.datetime(),
          replayedAt: z.iso.datetime().nullable(),
        })
        .meta({ id: 'DeadLetter' }),
    ),
  })
  .meta({ id: 'DeadLetterList' });

const replayed = z
  .strictObject({ deadLetterId: z.string(), streamId: z.string(), consumer: z.string(), replayedAs: z.string().meta({ description: '`replay/<dead letter id>`: the id of the message sent again.' }) })
  .meta({ id: 'DeadLetterReplayed' });

/** Dead letters under `/admin`, their paths from the root: listing needs a viewer key, replaying an operator key. */
export const deadLetterAdminRoutes: readonly RouteContract[] = [
  {
    method: 'get',
    path: '/admin/dead-letters',
    operationId: 'listDeadLetters',
    summary: 'Messages no consumer could handle, newest first',
    tag: 'Admin',
    access: 'viewer',
    request: { query: deadLetterQuery },
    responses: { 200: json(deadLetterList, 'The dead letters, with the reason and the error.'), ...problems({ 400: 'A parameter is not valid.', 503: 'The event store did not answer; try again.' }) },
  },
  {
    method: 'post',
    path: '/admin/dead-letters/{id}/replay',
    operationId: 'replayDeadLetter',
    summary: 'Send the message again to the consumer that refused it, once its cause is fixed',
    tag: 'Admin',
    access: 'operator',
    request: { params: deadLetterParams },
    responses: {
      202: json(replayed, 'Sent again.'),
      ...problems({
        400: 'The id is not valid.',
        404: 'No such dead letter.',
        409: 'Replayed already, or it holds no message that can be sent again, or no consumer here takes it.',
        503: 'The event store or the bus did not answer; try again.',
      }),
    },
  },
];

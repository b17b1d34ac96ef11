/**
 * The public entry point of xsaga (`import … from 'xsaga'`): everything a saga's folder may use to
 * define its machine's hosting, its participants' commands, its view and its HTTP routes. A saga
 * folder imports this, `xstate` and nothing else (lint-enforced); the rest of the code base is the
 * runtime's own and may change.
 */
export {
  defineSaga,
  type SagaBundle,
  type SagaDemo,
  type SagaDemoContext,
  type SagaDemoReport,
  type SagaParts,
  type SagaRouteContext,
  type SagaRoutes,
  type SagaSetup,
} from './defineSaga.ts';

export type { EventRule, EventRules, OperatorAction, SagaDefinition } from '../runtime/sagaDefinition.ts';
export type { SagaMigration, StateMigration } from '../runtime/sagaMigration.ts';
export { createMessage, type Envelope, type Message, type Metadata } from '../runtime/message.ts';
export { isoNow, type Clock } from '../runtime/clock.ts';
export { testClock, type TestClock } from '../runtime/testClock.ts';
export { isXsagaError, XsagaError, type ErrorCode, type FieldError } from '../runtime/errors.ts';
export { stateName } from '../runtime/stateName.ts';
export type { OperatorOutcome, SignalRequest } from '../runtime/operatorActions.ts';
export type { StartedSaga } from '../runtime/startSaga.ts';
export type { LiveSaga } from '../runtime/sagaFold.ts';
export type { SqlClient, SqlQueryable } from '../runtime/sqlClient.ts';
export type { SystemTopics } from '../runtime/systemTopics.ts';
export type { FieldMapping, SagaViewBase, SagaViewSpec, SagaViewStore, ViewMappings, ViewQuery } from '../runtime/viewStore.ts';
export type { CommandContract } from '../runtime/safety/participantContract.ts';

export { final, type OutcomeRow, type ParticipantSpec, type Performed, type Reply } from '../participants/participant.ts';
export { participantCommands, type ParticipantCommands } from '../participants/participantCommands.ts';
export { migrate } from '../runtime/migrate.ts';
export { checkWith } from '../runtime/checkWith.ts';
// Pure helpers a machine may use: they read no clock and do no I/O.
export { backoffDelay } from '../machines/retryBackoff.ts';

// HTTP: routes are Express routers, validated with zod, documented by their contracts, answering problems.
export { Router, type Request, type Response } from 'express';
export { z } from 'zod';
export { json, problems, type Access, type RouteContract } from '../api/openapi/routeContract.ts';
export { validateRequest } from '../api/validateRequest.ts';
export { sendProblem } from '../api/problem.ts';
export { callerOf, type Caller } from '../api/identifyCaller.ts';
export { idempotencyKeyHeaders } from '../api/idempotencyKeyHeaders.ts';
export { pathId } from '../api/pathId.ts';

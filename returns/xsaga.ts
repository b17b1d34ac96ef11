/**
 * Everything the returns saga takes from outside its folder, in one place: the public entry point
 * of xsaga will take this file's place, so no other file of the folder imports outside it (but
 * `xstate` and `zod`).
 */
export { backoffDelay } from '../machines/retryBackoff.ts';
export { checkWith } from '../orders/orderSchemas.ts';
export { final, type ParticipantSpec, type Performed, type Reply } from '../participants/participant.ts';
export { participantCommands, type ParticipantCommands } from '../participants/participantCommands.ts';
export { createMessage, type Message } from '../runtime/message.ts';
export { migrate } from '../runtime/migrate.ts';
export type { CommandContract } from '../runtime/safety/participantContract.ts';
export type { EventRule, SagaDefinition } from '../runtime/sagaDefinition.ts';
export type { SqlClient, SqlQueryable } from '../runtime/sqlClient.ts';
// The path model's contract: generated path tests are part of what a saga folder supplies.
export type { ExpectedStep, SagaPathModel, SagaReference } from '../test/graph/sagaPathModel.ts';

import type { Router } from 'express';
import type { RouteContract } from '../api/openapi/routeContract.ts';
import type { ParticipantSpec } from '../participants/participant.ts';
import type { ParticipantCommands } from '../participants/participantCommands.ts';
import type { Clock } from '../runtime/clock.ts';
import { XsagaError } from '../runtime/errors.ts';
import type { Message } from '../runtime/message.ts';
import type { OperatorOutcome, SignalRequest } from '../runtime/operatorActions.ts';
import type { SagaDefinition } from '../runtime/sagaDefinition.ts';
import type { SagaMigration } from '../runtime/sagaMigration.ts';
import type { LiveSaga } from '../runtime/sagaFold.ts';
import type { SqlQueryable } from '../runtime/sqlClient.ts';
import type { StartedSaga } from '../runtime/startSaga.ts';
import type { SystemTopics } from '../runtime/systemTopics.ts';
import type { SagaViewBase, SagaViewSpec, SagaViewStore } from '../runtime/viewStore.ts';

/** What a saga is given to build its parts for one system. */
export type SagaSetup = Readonly<{
  /** The system's topic names: its participants' command topics and its own facts topic follow from them. */
  topics: SystemTopics;
  /** The process environment, where a saga reads its own settings (`XSAGA_RETURN_…`). */
  env: Readonly<Record<string, string | undefined>>;
}>;

/** What a saga's HTTP routes may do: start its sagas, read them, and send them decisions and outside events. */
export type SagaRouteContext = Readonly<{
  /** The newest registered version: new sagas start on it. */
  definition: SagaDefinition;
  clock: Clock;
  newId(): string;
  /**
   * Starts a saga; `build` checks the request against the system's state and makes the first event,
   * and runs only when the request is new: with an Idempotency-Key, a repeated request answers with
   * the saga the first one started (`replayed`), even if the checks would refuse it now.
   */
  start(build: () => Message | Promise<Message>, idempotency?: Readonly<{ key: string; request: unknown }>): Promise<StartedSaga>;
  /**
   * Any saga as the event store holds it now (the truth, not the read model): another saga's too.
   * Starting a saga whose id exists fails with a `CONCURRENCY` error: ids derived from another
   * saga's (`<orderId>.return-<n>`) make "one at a time per order" a property of the store.
   */
  load(streamId: string): Promise<LiveSaga | undefined>;
  /** Sends messages into their sagas through the bus, keyed by saga id (the saga inbox topic in production). */
  send(messages: readonly Message[]): Promise<void>;
  /** Appends a person's decision to a saga now if its state accepts it (`refused` otherwise: answer 409). */
  signal(request: SignalRequest): Promise<OperatorOutcome>;
}>;

/** A saga's HTTP routes and their contract; each contract's `access` is enforced before the route runs. */
export type SagaRoutes = Readonly<{ router: Router; contracts: readonly RouteContract[] }>;

/** What a saga's demo is given: the running embedded system's API, and what it may read to check its invariants. */
export type SagaDemoContext = Readonly<{
  /** The API's base URL. */
  url: string;
  /** An operator's headers (`authorization`), for guarded routes. */
  operatorHeaders: Readonly<Record<string, string>>;
  /** How many of its sagas the demo asks for (`--<flag> N`). */
  count: number;
  concurrency: number;
  /** When the demo gives up waiting (epoch ms). */
  deadline: number;
  /** The embedded database, where participants keep their rows. */
  sql: SqlQueryable;
  /** Any hosted saga's view store, by machine id. */
  views(machineId: string): SagaViewStore<SagaViewBase> | undefined;
}>;

/** What a saga's demo found: lines for the report, invariants that did not hold, sagas that did not end. */
export type SagaDemoReport = Readonly<{ lines: readonly string[]; violations: readonly string[]; pending: number }>;

/** `npm run demo -- --<flag> N`: runs after the orders ended, drives N sagas of this kind and checks their invariants. */
export type SagaDemo = Readonly<{ flag: string; run(context: SagaDemoContext): Promise<SagaDemoReport> }>;

/** The parts of one saga, as the system hosts them. */
export type SagaParts = Readonly<{
  /** Every registered version of the machine (same machine id); new sagas start on the newest. */
  versions: readonly SagaDefinition[];
  /** Its view, as the projector checks it and a view store indexes it (the definitions' `view` draws it). */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- each saga's view is a type of its own
  view: SagaViewSpec<any>;
  /** Participants this saga brings with it. */
  participants?: readonly ParticipantSpec[];
  /** Commands it adds to participants another saga brings (by name): each joins that participant's one consumer. */
  participantCommands?: readonly ParticipantCommands[];
  /** Creates or upgrades the tables its participants write (idempotent; run by the participants role at start). */
  migrate?(sql: SqlQueryable): Promise<void>;
  /** Its HTTP routes, served by the `api` role. */
  routes?(context: SagaRouteContext): SagaRoutes;
  /** Its part of the demo. */
  demo?: SagaDemo;
  /** How its running sagas may move from one registered version to another (`xsaga migrate`). */
  migrations?: readonly SagaMigration[];
}>;

/** One saga: its machine id and how it builds its parts. Adding a saga to a system is adding its bundle to the system's list. */
export type SagaBundle = Readonly<{
  id: string;
  setup(setup: SagaSetup): SagaParts;
}>;

/**
 * Declares a saga for `createSagaSystem`. The parts it builds are checked when a system sets it up:
 * every version must be of the bundle's machine, with distinct version numbers.
 *
 * @example
 * export const returnSaga = defineSaga({ id: 'returnSaga', setup: ({ topics, env }) => ({ versions: [returnSagaV1(topics, env)] }) });
 */
export function defineSaga(bundle: SagaBundle): SagaBundle {
  if (!/^[A-Za-z][A-Za-z0-9_-]*$/.test(bundle.id)) throw new XsagaError('CONFIG', `A saga id is a name (letters, digits, _ and -), not ${JSON.stringify(bundle.id)}`);
  return {
    id: bundle.id,
    setup(setup) {
      const parts = bundle.setup(setup);
      if (parts.versions.length === 0) throw new XsagaError('CONFIG', `${bundle.id} registers no version of its machine`);
      const seen = new Set<number>();
      for (const definition of parts.versions) {
        if (definition.machine.id !== bundle.id) throw new XsagaError('CONFIG', `${bundle.id} registers a version of another machine, ${definition.machine.id}`);
        if (seen.has(definition.version)) throw new XsagaError('CONFIG', `${bundle.id} registers version ${definition.version} twice`);
        seen.add(definition.version);
      }
      for (const migration of parts.migrations ?? []) {
        const name = `${migration.machineId} ${migration.from} → ${migration.to}`;
        if (migration.machineId !== bundle.id) throw new XsagaError('CONFIG', `${bundle.id} brings a migration of another machine: ${name}`);
        if (!seen.has(migration.from) || !seen.has(migration.to)) throw new XsagaError('CONFIG', `${bundle.id}'s migration ${name} is between versions it does not register`);
      }
      return parts;
    },
  };
}

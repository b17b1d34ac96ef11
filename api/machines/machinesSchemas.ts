import { z } from 'zod';
import type { SagaTrace } from './sagaTrace.ts';
import type { StatechartLayout } from './statechartLayout.ts';

/** The answers of `/machines/*`, as the OpenAPI document shows them and the contract test checks them. */

const count = z.number().int().nonnegative();
const box = { x: z.number(), y: z.number(), width: z.number(), height: z.number() };
const transitionKind = z.enum(['forward', 'retry', 'compensation', 'failure']);

export const machineListSchema = z
  .strictObject({
    machines: z.array(
      z.strictObject({
        id: z.string(),
        version: z.number().int().positive().meta({ description: 'The newest version.' }),
        versions: z.array(z.number().int().positive()).meta({ description: 'Every version registered, oldest first.' }),
        hasReadModel: z.boolean(),
      }),
    ),
  })
  .meta({ id: 'MachineList' });

export const machineDefinitionSchema = z
  .looseObject({ id: z.string() })
  .meta({ id: 'MachineDefinition', description: 'The machine’s config as JSON: what `createMachine()` and Stately Studio import.' });

const graphTransition = z.strictObject({
  id: z.string().meta({ description: '`<source id>#<event type>#<index>`' }),
  source: z.string(),
  targets: z.array(z.string()),
  event: z.string(),
  label: z.string(),
  delay: z.string().nullable(),
  guard: z.string().nullable(),
  actions: z.array(z.string()),
  reenter: z.boolean(),
  kind: transitionKind,
});

export const statechartLayoutSchema = z
  .strictObject({
    version: z.number().int().positive(),
    machineId: z.string(),
    width: z.number(),
    height: z.number(),
    states: z.array(
      z.strictObject({
        id: z.string(),
        name: z.string(),
        key: z.string(),
        parent: z.string().nullable(),
        type: z.enum(['atomic', 'compound', 'parallel', 'final', 'history']),
        initial: z.boolean(),
        description: z.string().nullable(),
        compensation: z.boolean(),
        failure: z.boolean(),
        attention: z.boolean(),
        entry: z.array(z.string()),
        box: z.strictObject(box),
      }),
    ),
    initials: z.array(z.strictObject({ ...box, parent: z.string() })),
    edges: z.array(
      z.strictObject({
        transition: z.string().nullable(),
        kind: z.enum([...transitionKind.options, 'initial']),
        source: z.string(),
        target: z.string(),
        points: z.array(z.strictObject({ x: z.number(), y: z.number() })),
        label: z.strictObject({ ...box, lines: z.array(z.string()) }).nullable(),
      }),
    ),
    transitions: z.array(graphTransition),
  })
  .meta({ id: 'StatechartLayout' }) satisfies z.ZodType<StatechartLayout & { version: number }>;

export const machineStatsSchema = z
  .strictObject({
    machineId: z.string(),
    asOf: z.iso.datetime(),
    total: count,
    byVersion: z
      .record(z.string().regex(/^\d+$/), count)
      .meta({ description: 'Sagas per version of the machine they run on (`{ "1": 120, "2": 35 }`): a stream stays on the version it started on.' }),
    states: z.array(z.strictObject({ state: z.string(), count, oldestUpdatedAt: z.iso.datetime(), oldestAgeMs: count })),
  })
  .meta({ id: 'MachineStats' });

export const sagaTraceSchema = z
  .strictObject({
    streamId: z.string(),
    machineId: z.string(),
    machineVersion: z.number().int().positive(),
    version: z.number().int().positive(),
    state: z.string(),
    status: z.string(),
    visitedStates: z.array(z.string()),
    takenTransitions: z.array(z.string()),
    initialEntries: z.array(z.string()),
    steps: z.array(
      z.strictObject({
        version: z.number().int().positive(),
        type: z.string(),
        event: z.string(),
        occurredAt: z.string(),
        messageId: z.string(),
        causationId: z.string(),
        data: z.unknown(),
        from: z.string().nullable(),
        to: z.string(),
        transition: z.string().nullable(),
        commands: z.array(z.strictObject({ type: z.string(), topic: z.string(), messageId: z.string(), data: z.unknown() })),
        timersArmed: z.array(z.strictObject({ timerId: z.string(), dueAt: z.string(), event: z.string() })),
        timersCancelled: z.array(z.string()),
      }),
    ),
  })
  .meta({ id: 'SagaTrace' }) satisfies z.ZodType<SagaTrace>;

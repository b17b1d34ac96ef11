import { describe, expect, it } from 'vitest';
import { emit, setup } from 'xstate';
import { machineGraph } from '../../api/machines/machineGraph.ts';
import { sagaCatalog } from '../../app/sagaCatalog.ts';
import { statePath, transitionKey, transitionKeyOf, transitionsOf } from '../../runtime/machineGraph.ts';
import { coverageOf } from '../graph/coverage.ts';
import { generatePaths } from '../graph/generatePaths.ts';
import { pathModelFor } from '../graph/pathModels.ts';

/** Every kind of transition in one machine: named and numeric delays, eventless, guarded, wildcard, parallel regions, onDone. */
const everyKind = setup({
  actions: { ping: emit({ type: 'Ping' }) },
  guards: { ready: () => true },
  delays: { soon: 50 },
}).createMachine({
  id: 'kinds',
  initial: 'idle',
  states: {
    idle: {
      always: { guard: 'ready', target: 'waiting' },
      on: { '*': { actions: 'ping' } },
    },
    waiting: {
      after: { 1000: 'done', soon: { target: 'both', actions: 'ping' } },
      on: { Go: [{ guard: 'ready', target: 'both' }, { target: 'done', reenter: true }], Stay: {} },
    },
    both: {
      type: 'parallel',
      onDone: 'done',
      states: {
        left: { initial: 'l1', states: { l1: { on: { L: 'l2' } }, l2: { type: 'final' } } },
        right: { initial: 'r1', states: { r1: { on: { R: 'r2', Abort: '#kinds.done' } }, r2: { type: 'final' } } },
      },
    },
    done: { type: 'final' },
  },
});

const byKey = () => new Map(transitionsOf(everyKind).map((t) => [t.key, t]));

describe('runtime/machineGraph: the one walk of a machine definition', () => {
  it('names a transition `<source id>#<event type>#<index>`, `always` for an eventless one', () => {
    expect(transitionKey('orderSaga.payment', 'PaymentCaptured', 0)).toBe('orderSaga.payment#PaymentCaptured#0');
    expect(transitionKey('kinds.idle', '', 0)).toBe('kinds.idle#always#0');
  });

  it('lists every transition once, with its trigger, targets, guard, delay, actions and region', () => {
    const transitions = byKey();
    expect([...transitions.keys()].sort()).toEqual(
      [
        'kinds.idle#*#0',
        'kinds.idle#always#0',
        'kinds.waiting#Go#0',
        'kinds.waiting#Go#1',
        'kinds.waiting#Stay#0',
        'kinds.waiting#xstate.after.1000.kinds.waiting#0',
        'kinds.waiting#xstate.after.soon.kinds.waiting#0',
        'kinds.both#xstate.done.state.kinds.both#0',
        'kinds.both.left.l1#L#0',
        'kinds.both.right.r1#R#0',
        'kinds.both.right.r1#Abort#0',
      ].sort(),
    );
    const pick = (key: string) => {
      const t = transitions.get(key)!;
      return { trigger: t.trigger, targets: t.targets.map(statePath), guard: t.guard, delay: t.delay, actions: t.actions, region: t.region && statePath(t.region), label: t.label };
    };
    expect(pick('kinds.idle#always#0')).toEqual({ trigger: 'always', targets: ['waiting'], guard: 'ready', delay: undefined, actions: [], region: undefined, label: 'idle always [ready] → waiting' });
    expect(pick('kinds.waiting#xstate.after.soon.kinds.waiting#0')).toMatchObject({ trigger: 'after soon', delay: 'soon', actions: ['ping'], label: 'waiting on after soon → both' });
    expect(pick('kinds.waiting#xstate.after.1000.kinds.waiting#0')).toMatchObject({ trigger: 'after 1000 ms', delay: '1000 ms' });
    expect(pick('kinds.waiting#Go#1')).toMatchObject({ guard: undefined, targets: ['done'], label: 'waiting on Go → done' });
    expect(pick('kinds.waiting#Stay#0')).toMatchObject({ targets: [], label: 'waiting on Stay → (stays)' });
    expect(pick('kinds.idle#*#0')).toMatchObject({ trigger: '*', actions: ['ping'] });
    expect(pick('kinds.both.left.l1#L#0').region).toBe('both.left');
    expect(pick('kinds.both.right.r1#Abort#0')).toMatchObject({ region: 'both.right', targets: ['done'] });
    expect(pick('kinds.both#xstate.done.state.kinds.both#0').region).toBeUndefined();
  });

  it('finds the key of a transition XState reports as taken, by identity', () => {
    for (const transition of transitionsOf(everyKind)) expect(transitionKeyOf(transition.definition)).toBe(transition.key);
  });

  it('gives the dashboard, the coverage and the listing one key per transition of the hosted sagas', () => {
    for (const definition of sagaCatalog().registry.all()) {
      const keys = transitionsOf(definition.machine).map((t) => t.key);
      expect(new Set(keys).size).toBe(keys.length);
      expect(machineGraph(definition.machine).transitions.map((t) => t.id)).toEqual(keys);
      const model = pathModelFor(definition);
      const coverage = coverageOf(
        definition.machine,
        generatePaths(definition.machine, model).map((path) => ({ input: model.input('x'), events: path.events })),
      );
      // Counted by the same keys: every listed transition is matched by a taken one.
      expect(coverage.transitions).toEqual({ total: keys.length, covered: keys.length, missing: [] });
    }
  });
});

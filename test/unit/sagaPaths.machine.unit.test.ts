import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sagaCatalog } from '../../app/sagaCatalog.ts';
import { orderSagaWith } from '../fixtures/brokenMachines.ts';
import { coverageOf, formatCoverage, type Coverage } from '../graph/coverage.ts';
import { generatePaths } from '../graph/generatePaths.ts';
import { expectCompensationsInReverse, expectRunFollowsPath, expectRunMatchesReference, runOnMachine, type MachineRun } from '../graph/machineRun.ts';
import { orderSagaPathModel } from '../graph/orderSagaPathModel.ts';
import { pathModelFor } from '../graph/pathModels.ts';
import { generateVariantPaths } from '../graph/variantPaths.ts';
import { stepperFor } from '../../runtime/machineStepper.ts';

const { registry, participants } = sagaCatalog();

describe.each(registry.all().map((definition) => ({ label: `${definition.machine.id}@${definition.version}`, definition })))(
  'level 1: every generated path of $label on the pure machine',
  ({ label, definition }) => {
    const model = pathModelFor(definition);
    // A model with several inputs (variants) sends the machine down different ways from its start: each is generated.
    const paths = generateVariantPaths(definition.machine, model);
    let began = 0;
    let coverage: Coverage | undefined;
    beforeAll(() => {
      began = performance.now();
    });
    afterAll(() => {
      if (coverage) console.log(formatCoverage(`level 1 (pure machine) ${label}`, coverage, performance.now() - began));
    });

    it.each(paths.map(({ input, path }, index) => ({ index, input, path })))('path $index: $path.name', ({ input, path }) => {
      const run = runOnMachine(definition.machine, input, path.events);
      expectRunFollowsPath(run, path);
      expectRunMatchesReference(run, model);
      expectCompensationsInReverse(run, model, participants);
      // Replay is a fold: the same input and events give the same persisted snapshot, byte for byte.
      const again = runOnMachine(definition.machine, structuredClone(input), path.events);
      expect(JSON.stringify(definition.machine.getPersistedSnapshot(again.snapshots.at(-1)!))).toBe(
        JSON.stringify(definition.machine.getPersistedSnapshot(run.snapshots.at(-1)!)),
      );
      // The runtime steps with its own stepper: every step must be what xstate's transition() gives.
      const stepped = runOnMachine(definition.machine, input, path.events, stepperFor(definition.machine));
      const persisted = (snapshots: MachineRun['snapshots']) => snapshots.map((snapshot) => JSON.stringify(definition.machine.getPersistedSnapshot(snapshot)));
      expect(persisted(stepped.snapshots), 'persisted snapshots, step by step').toEqual(persisted(run.snapshots));
      expect({ emitted: stepped.emitted, armed: stepped.armed, cancelled: stepped.cancelled }).toEqual({ emitted: run.emitted, armed: run.armed, cancelled: run.cancelled });
    });

    it('covers every state and every transition of the machine', () => {
      coverage = coverageOf(definition.machine, paths.map(({ input, path }) => ({ input, events: path.events })));
      expect(coverage.paths).toBeGreaterThan(0);
      expect(coverage.states.missing, 'states on no generated path').toEqual([]);
      expect(coverage.transitions.missing, 'transitions on no generated path').toEqual([]);
    });
  },
);

describe('what turns the generated path suites red', () => {
  it('a state that no generated path reaches is reported as not covered, with its transitions', () => {
    const machine = orderSagaWith({ fraudReview: { on: { PaymentCaptured: 'inventory' } } });
    const paths = generatePaths(machine, orderSagaPathModel);
    const coverage = coverageOf(machine, paths.map((path) => ({ input: orderSagaPathModel.input('generated'), events: path.events })));
    expect(coverage.states.missing).toEqual(['fraudReview']);
    expect(coverage.transitions.missing).toEqual(['fraudReview on PaymentCaptured → inventory']);
    expect(formatCoverage('extended', coverage)).toContain('not covered: state fraudReview; transition fraudReview on PaymentCaptured → inventory');
  });

  it('a state reached by an event the path model has no payload for stops the generator, naming both', () => {
    const machine = orderSagaWith({
      inventory: {
        entry: [{ type: 'countAttempt', params: { action: 'reserve' } }, 'reserveStock'],
        on: { StockReserved: 'shipping', FraudSuspected: 'fraudReview' },
      },
      fraudReview: { on: { FraudCleared: 'shipping' } },
    });
    expect(() => generatePaths(machine, orderSagaPathModel)).toThrow(/state "inventory" accepts FraudSuspected, but the path model has no payload for it/);
  });

  it('a registered machine version without a path model is refused', () => {
    const [definition] = registry.all();
    expect(() => pathModelFor({ ...definition!, version: 99 })).toThrow('orderSaga@99 is registered but has no path model');
  });
});

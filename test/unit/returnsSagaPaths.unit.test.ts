import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMachine, type AnyStateMachine } from 'xstate';
import { returnParticipantCommands } from '../../returns/returnParticipants.ts';
import { returnSaga } from '../../returns/returnSaga.ts';
import { returnSagaPathModel } from '../../returns/returnSagaPathModel.ts';
import { stepperFor } from '../../runtime/machineStepper.ts';
import { coverageOf, formatCoverage, type Coverage } from '../graph/coverage.ts';
import { expectCompensationsInReverse, expectRunFollowsPath, expectRunMatchesReference, runOnMachine, type MachineRun } from '../graph/machineRun.ts';
import { generateVariantPaths } from '../graph/variantPaths.ts';

const participants = returnParticipantCommands.map((commands) => ({ name: commands.participant, handles: commands.handles }));
const model = returnSagaPathModel;
const paths = generateVariantPaths(returnSaga, model);

describe('level 1: every generated path of returnSaga@1 on the pure machine', () => {
  let began = 0;
  let coverage: Coverage | undefined;
  beforeAll(() => {
    began = performance.now();
  });
  afterAll(() => {
    if (coverage) console.log(formatCoverage('level 1 (pure machine) returnSaga@1', coverage, performance.now() - began));
  });

  it.each(paths.map(({ input, path }, index) => ({ index, input, path })))('path $index: $path.name', ({ input, path }) => {
    const run = runOnMachine(returnSaga, input, path.events);
    expectRunFollowsPath(run, path);
    expectRunMatchesReference(run, model);
    expectCompensationsInReverse(run, model, participants);
    // Replay is a fold: the same input and events give the same persisted snapshot, byte for byte.
    const again = runOnMachine(returnSaga, structuredClone(input), path.events);
    expect(JSON.stringify(returnSaga.getPersistedSnapshot(again.snapshots.at(-1)!))).toBe(JSON.stringify(returnSaga.getPersistedSnapshot(run.snapshots.at(-1)!)));
    // The runtime steps with its own stepper: every step must be what xstate's transition() gives.
    const stepped = runOnMachine(returnSaga, input, path.events, stepperFor(returnSaga));
    const persisted = (snapshots: MachineRun['snapshots']) => snapshots.map((snapshot) => JSON.stringify(returnSaga.getPersistedSnapshot(snapshot)));
    expect(persisted(stepped.snapshots), 'persisted snapshots, step by step').toEqual(persisted(run.snapshots));
    expect({ emitted: stepped.emitted, armed: stepped.armed, cancelled: stepped.cancelled }).toEqual({ emitted: run.emitted, armed: run.armed, cancelled: run.cancelled });
  });

  it('covers every state and every transition of the machine, over both variants', () => {
    coverage = coverageOf(
      returnSaga,
      paths.map(({ input, path }) => ({ input, events: path.events })),
    );
    expect(coverage.paths).toBeGreaterThan(0);
    expect(coverage.states.missing, 'states on no generated path').toEqual([]);
    expect(coverage.transitions.missing, 'transitions on no generated path').toEqual([]);
  });

  it('needs both variants: within the threshold no path waits for an operator', () => {
    const small = coverageOf(
      returnSaga,
      paths.filter((p) => p.variant === 'small').map(({ input, path }) => ({ input, events: path.events })),
    );
    expect(small.transitions.missing).toEqual(['awaitingApproval on ReturnApproved → label', 'awaitingApproval on ReturnRejected → rejected', 'awaitingApproval on after approvalDeadline → rejected']);
  });
});

describe('what turns the returns path suite red', () => {
  /** The returns saga with the join's choices rewritten: `onDone` of `processing`, by position. */
  const joinedTo = (targets: Record<number, string>) => {
    type Node = { states: Record<string, Node>; onDone?: { target: string }[] };
    const config = returnSaga.config as unknown as Node;
    const processing = config.states.processing!;
    const onDone = processing.onDone!.map((transition, i) => (targets[i] ? { ...transition, target: targets[i] } : transition));
    return createMachine({ ...config, states: { ...config.states, processing: { ...processing, onDone } } } as never, returnSaga.implementations as never);
  };
  /** Why each generated path of `machine` fails the compensation check, for the paths that do. */
  const failing = (machine: AnyStateMachine) =>
    generateVariantPaths(machine, model).flatMap(({ input, path }) => {
      try {
        expectCompensationsInReverse(runOnMachine(machine, input, path.events), model, participants);
        return [];
      } catch (error) {
        return [(error as Error).message];
      }
    });

  it('a branch that took effect left undone is caught on the paths where it happens', () => {
    const broken = failing(joinedTo({ 2: 'failed' }));
    expect(broken.length).toBeGreaterThan(0);
    expect(broken.every((message) => message.includes('ReverseReturnRestock'))).toBe(true);
  });

  it('only the refund undone when the restock may have taken effect too is caught', () => {
    const broken = failing(joinedTo({ 1: 'compensating.both.reversingRefund' }));
    expect(broken.length).toBeGreaterThan(0);
    expect(broken.every((message) => message.includes('ReverseReturnRestock'))).toBe(true);
  });
});

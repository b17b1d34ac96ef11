import { describe, expect, it } from 'vitest';
import { and, createMachine, not, or, stateIn, type AnyStateMachine } from 'xstate';
import { runCheckCommand } from '../../app/commands/check.ts';
import { sagaCatalog } from '../../app/sagaCatalog.ts';
import { FRAUD_REVIEW_DECISIONS } from '../../orders/orderSagaV2Definition.ts';
import { checkSaga, formatSafetyReport, type SafetyReport } from '../../runtime/safety/checkSaga.ts';
import { decideGuard, leavesAfter, transitionsFrom, type Leaves } from '../../runtime/safety/configurations.ts';
import { statePath, transitionsOf, type AnyStateNode } from '../../runtime/machineGraph.ts';
import { MachineRegistry, type SagaDefinition } from '../../runtime/sagaDefinition.ts';
import { returnParticipantCommands } from '../../returns/returnParticipants.ts';
import { returnSaga } from '../../returns/returnSaga.ts';
import { returnSagaPathModel } from '../../returns/returnSagaPathModel.ts';
import { deadEndSaga, deafSaga, endlessRetrySaga, orphanCommandSaga, soundSaga, trappedSaga, uncompensatedSaga, wrongOrderSaga } from '../fixtures/brokenMachines.ts';
import { generatePaths } from '../graph/generatePaths.ts';
import { outsideEventsOf, participantsOfSaga } from '../../runtime/safety/sagaParticipants.ts';
import { runOnMachine } from '../graph/machineRun.ts';
import { pathModelFor } from '../graph/pathModels.ts';
import { generateVariantPaths } from '../graph/variantPaths.ts';

const { registry, participants: everyParticipant } = sagaCatalog();
const sagaView = (definition: SagaDefinition) => participantsOfSaga(definition, everyParticipant, registry.all());
// The broken fixtures are v1 order sagas: they are checked against the participants as v1 sees them.
const participants = sagaView(registry.get('orderSaga', 1)!);
const check = (machine: AnyStateMachine) => checkSaga(machine, participants, { version: 1 });
const found = (report: SafetyReport) => report.problems.map((p) => `${p.check} ${p.state ?? '-'}`);

describe('xsaga check on the registered sagas', () => {
  /** States and transitions of the order saga's versions: v2 adds the fraud review's five states and thirteen transitions. */
  const sizes: Record<string, [number, number]> = { 'orderSaga@1': [20, 31], 'orderSaga@2': [25, 44] };

  it.each(registry.all().map((definition) => ({ label: `${definition.machine.id}@${definition.version}`, definition })))('finds $label safe', ({ definition }) => {
    const report = checkSaga(definition.machine, sagaView(definition), { version: definition.version, operatorEvents: outsideEventsOf(definition) });
    expect(report.problems).toEqual([]);
    expect(report.warnings).toEqual([]);
    expect(formatSafetyReport(report)).toMatch(/^\w+@\d+: \d+ states, \d+ transitions;[^]*✓ way-out[^]*✓ compensation[^]*✓ retry-exit[^]*✓ replies[^]*✓ commands[^]* safe$/);
    const size = sizes[`${definition.machine.id}@${definition.version}`];
    if (size) expect([report.states, report.transitions]).toEqual(size);
  });

  it('checks both registered versions of the order saga', () => {
    expect(registry.all().map((d) => `${d.machine.id}@${d.version}`)).toEqual(expect.arrayContaining(['orderSaga@1', 'orderSaga@2']));
    // The operator's fraud decisions answer no command: v2 takes them as outside events.
    expect(outsideEventsOf(registry.get('orderSaga', 2)!)).toEqual(expect.arrayContaining([...FRAUD_REVIEW_DECISIONS]));
  });

  it('reads from the definition the very commands the generated paths emit', () => {
    for (const definition of registry.all()) {
      const model = pathModelFor(definition);
      const emitted = new Set(
        generatePaths(definition.machine, model).flatMap((path) => runOnMachine(definition.machine, model.input('x'), path.events).emitted.flat().map((c) => c.type)),
      );
      expect([...check(definition.machine).commands].sort()).toEqual([...emitted].sort());
    }
  });
});

describe('xsaga check on deliberately broken sagas', () => {
  it('finds the fixtures’ sound base safe, so each broken fixture breaks only what it says', () => {
    expect(check(soundSaga).problems).toEqual([]);
  });

  it('names a state that accepts nothing and has no deadline', () => {
    const report = check(deadEndSaga);
    expect(found(report)).toEqual(['way-out awaitingPickup', 'compensation awaitingPickup']);
    expect(report.problems[0]!.message).toBe('state "awaitingPickup" accepts no event and has no deadline: a saga there waits forever');
    expect(formatSafetyReport(report)).toContain('✗ way-out:\n      state "awaitingPickup" accepts no event');
  });

  it('names a state whose every transition leads back into it', () => {
    const report = check(trappedSaga);
    expect(found(report)).toEqual([
      'way-out releasingStock',
      'compensation shipping',
      'compensation releasingStock',
      'retry-exit releasingStock',
      'replies releasingStock',
      'replies -',
    ]);
    expect(report.problems[0]!.message).toBe('state "releasingStock" only ever leads back into itself (StockReleaseFailed): a saga there can never leave');
    expect(report.problems[5]!.message).toBe('participant inventory may reply StockReleased to ReleaseStock, but no state accepts it');
  });

  it('names the state from which a failure ends the saga without compensating', () => {
    const report = check(uncompensatedSaga);
    expect(found(report)).toEqual(['compensation shipping']);
    expect(report.problems[0]!.message).toBe(
      'state "shipping" (after CapturePayment, ReserveStock succeeded) reaches final states that undo nothing; expected ReleaseStock then RefundPayment, the reverse of the completed steps',
    );
  });

  it('names the states from which compensation runs in the wrong order', () => {
    const report = check(wrongOrderSaga);
    expect(found(report)).toEqual([
      'compensation shipping',
      'compensation refundingFirst',
      'compensation releasingAfter',
      'compensation refundFirstParked',
      'compensation releaseAfterParked',
    ]);
    expect(report.problems[0]!.message).toContain('undo RefundPayment then ReleaseStock; expected ReleaseStock then RefundPayment');
  });

  it('names a retry loop with no exit: a compensation retried forever, however long it waits between attempts', () => {
    const report = check(endlessRetrySaga);
    expect(found(report)).toEqual(['retry-exit releasingStock']);
    expect(report.problems[0]!.message).toBe(
      'state "releasingStock" retries on StockReleaseFailed with no way out of the loop: a failure that never ends keeps the saga retrying forever (park it, or fail, past a limit)',
    );
  });

  it('names a state that awaits a command but drops one of its replies', () => {
    const report = check(deafSaga);
    expect(found(report)).toEqual(['compensation inventory', 'replies inventory', 'replies -']);
    expect(report.problems[1]!.message).toBe(
      'state "inventory" awaits ReserveStock (entry of inventory) but does not accept its reply StockReservationFailed: the saga would drop it and wait',
    );
  });

  it('names a command no participant handles, and where it is emitted', () => {
    const report = check(orphanCommandSaga);
    expect(found(report)).toEqual(['commands -']);
    expect(report.problems[0]!.message).toBe('entry of shipping emits NotifyCustomer, which no participant handles');
  });
});

describe('xsaga check on the returns saga, whose refund and restock run in a parallel state', () => {
  const contracts = returnParticipantCommands.map((commands) => ({ name: commands.participant, handles: commands.handles }));
  // Sent by operators over HTTP, and by the carrier: no participant replies with them.
  const operatorEvents = ['ReturnApproved', 'ReturnRejected', 'ResumeRequested', 'ParcelReceived'];
  const checkReturns = (machine: AnyStateMachine, participants = contracts) => checkSaga(machine, participants, { version: 1, operatorEvents });
  /** The returns saga with one transition of the restock region changed. */
  const restockWith = (on: Record<string, unknown>) => {
    type Node = { states: Record<string, Node>; on?: Record<string, unknown> };
    const config = returnSaga.config as unknown as Node;
    const processing = config.states.processing!;
    const restock = processing.states.restock!;
    const restocking = { ...restock.states.restocking!, on: { ...restock.states.restocking!.on, ...on } };
    const states = { ...config.states, processing: { ...processing, states: { ...processing.states, restock: { ...restock, states: { ...restock.states, restocking } } } } };
    return createMachine({ ...config, states } as never, returnSaga.implementations as never);
  };

  it('finds it safe: each branch that took effect, or may have, is undone once both have settled', () => {
    const report = checkReturns(returnSaga);
    expect(report.problems).toEqual([]);
    expect(report.warnings).toEqual([]);
    expect(report.states).toBe(44);
    expect(report.transitions).toBe(54);
    expect(formatSafetyReport(report)).toMatch(/^returnSaga@1: 44 states, 54 transitions;[^]*✓ compensation[^]* safe$/);
  });

  it('reads from the definition the very commands its generated paths emit', () => {
    const emitted = new Set(
      generateVariantPaths(returnSaga, returnSagaPathModel).flatMap(({ input, path }) => runOnMachine(returnSaga, input, path.events).emitted.flat().map((c) => c.type)),
    );
    expect([...checkReturns(returnSaga).commands].sort()).toEqual([...emitted].sort());
  });

  it('names the states of both regions from which a restock that succeeded is never undone', () => {
    const report = checkReturns(restockWith({ ReturnRestocked: { target: 'refused', actions: { type: 'recordStep', params: { action: 'restock' } } } }));
    expect(found(report)).toContain('compensation processing.refund.refunding & processing.restock.refused');
    const problem = report.problems.find((p) => p.state === 'processing.refund.refunding & processing.restock.refused')!;
    expect(problem.message).toBe(
      'state "processing.refund.refunding & processing.restock.refused" (after RestockReturn succeeded) reaches final states that undo nothing; expected ReverseReturnRestock, the reverse of the completed steps',
    );
  });

  it('expects the label voided until the parcel settles it, so a label issued then left unvoided is named', () => {
    const unsettled = contracts.map((c) => ({ ...c, handles: Object.fromEntries(Object.entries(c.handles).map(([type, contract]) => [type, { ...contract, settledBy: undefined }])) }));
    const report = checkReturns(returnSaga, unsettled);
    expect(found(report)).toContain('compensation processing.refund.refunding & processing.restock.restocking');
    expect(report.problems[0]!.message).toContain('expected VoidReturnLabel, the reverse of the completed steps');
  });
});

describe('xsaga check, the command', () => {
  const capture = () => {
    const printed: string[] = [];
    return { printed, print: (text: string) => void printed.push(text) };
  };

  it('prints a report per registered machine and exits 0 when every check passes', async () => {
    const out = capture();
    expect(await runCheckCommand([], out)).toBe(0);
    expect(out.printed.join('\n')).toContain('orderSaga@1: 20 states, 31 transitions');
    expect(out.printed.join('\n')).toContain('safe');
  });

  it('prints JSON with --json', async () => {
    const out = capture();
    expect(await runCheckCommand(['--json'], out)).toBe(0);
    expect(JSON.parse(out.printed.join('\n'))).toMatchObject([
      { machine: 'orderSaga@1', problems: [] },
      { machine: 'orderSaga@2', problems: [] },
      { machine: 'returnSaga@1', problems: [] },
    ]);
  });

  it('exits 1 and names the state when a registered machine is unsafe', async () => {
    const [order] = registry.all() as SagaDefinition[];
    const broken = new MachineRegistry().register(order!).register({ ...order!, machine: deadEndSaga, version: 2 } as SagaDefinition);
    const out = capture();
    expect(await runCheckCommand([], { ...out, catalog: { registry: broken, participants: everyParticipant } })).toBe(1);
    expect(out.printed.join('\n')).toContain('brokenSaga@2');
    expect(out.printed.join('\n')).toContain('state "awaitingPickup" accepts no event and has no deadline');
  });

  it('exits 2 on an unknown option', async () => {
    const out = capture();
    expect(await runCheckCommand(['--nope'], out)).toBe(2);
    expect(out.printed.join('\n')).toContain('usage: xsaga check');
  });
});

/** Two regions that each finish, joined by `onDone`, as the returns saga's refund and restock are. */
const pair = createMachine({
  id: 'pair',
  initial: 'idle',
  states: {
    idle: { on: { GO: 'both' } },
    both: {
      type: 'parallel',
      states: {
        left: { initial: 'working', states: { working: { on: { LEFT_DONE: 'done', LEFT_FAILED: 'failed' } }, done: { type: 'final' }, failed: { type: 'final' } } },
        right: { initial: 'working', states: { working: { on: { RIGHT_DONE: 'done' } }, done: { type: 'final' } } },
      },
      on: { ABORT: 'aborted' },
      onDone: [{ guard: stateIn('#pair.both.left.done'), target: 'finished' }, { target: 'aborted' }],
    },
    finished: { type: 'final' },
    aborted: { type: 'final' },
  },
});
const all = transitionsOf(pair);
const node = (path: string): AnyStateNode => path.split('.').reduce<AnyStateNode>((at, key) => at.states[key] as AnyStateNode, pair.root as AnyStateNode);
const leaves = (...paths: string[]): Leaves => paths.map(node);
const named = (found: readonly AnyStateNode[]) => found.map(statePath).sort();
const labels = (from: Leaves) => transitionsFrom(from, all).transitions.map((t) => t.label);

describe('configurations of a machine with a parallel state, as xsaga check walks them', () => {
  it('enters every region of a parallel state, and moves one region while the other stays', () => {
    const go = all.find((t) => t.eventType === 'GO')!;
    expect(named(leavesAfter(leaves('idle'), go))).toEqual(['both.left.working', 'both.right.working']);
    const leftDone = all.find((t) => t.eventType === 'LEFT_DONE')!;
    expect(named(leavesAfter(leaves('both.left.working', 'both.right.working'), leftDone))).toEqual(['both.left.done', 'both.right.working']);
    const abort = all.find((t) => t.eventType === 'ABORT')!;
    expect(named(leavesAfter(leaves('both.left.done', 'both.right.working'), abort))).toEqual(['aborted']);
  });

  it('fires onDone only once every region is final, and then nothing else: the configuration is passed through', () => {
    expect(labels(leaves('both.left.done', 'both.right.working'))).toEqual(['both on ABORT → aborted', 'both.right.working on RIGHT_DONE → both.right.done']);
    const allDone = transitionsFrom(leaves('both.left.done', 'both.right.done'), all);
    expect(allDone.passing).toBe(true);
    // The configuration decides the stateIn guard: only the first onDone transition may fire.
    expect(allDone.transitions.map((t) => t.label)).toEqual(['both on xstate.done.state.pair.both [stateIn] → finished']);
    expect(transitionsFrom(leaves('both.left.failed', 'both.right.done'), all).transitions.map((t) => t.label)).toEqual(['both on xstate.done.state.pair.both → aborted']);
  });

  it('decides stateIn guards and their and/or/not from the configuration, and leaves other guards undecided', () => {
    const at = leaves('both.left.done', 'both.right.working');
    expect(decideGuard(stateIn('#pair.both.left.done'), at)).toBe(true);
    expect(decideGuard(stateIn('#pair.both.right'), at)).toBe(true);
    expect(decideGuard(and([stateIn('#pair.both.left.done'), not(stateIn('#pair.both.right.done'))]), at)).toBe(true);
    expect(decideGuard(or([stateIn('#pair.both.left.failed'), stateIn('#pair.both.right.done')]), at)).toBe(false);
    expect(decideGuard(and([stateIn('#pair.both.left.done'), () => true]), at)).toBeUndefined();
    expect(decideGuard({ type: 'namedGuard' }, at)).toBeUndefined();
  });
});

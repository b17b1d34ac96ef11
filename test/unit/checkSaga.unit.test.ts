import { describe, expect, it } from 'vitest';
import type { AnyStateMachine } from 'xstate';
import { runCheckCommand } from '../../app/commands/check.ts';
import { sagaCatalog } from '../../app/sagaCatalog.ts';
import { FRAUD_REVIEW_DECISIONS } from '../../orders/orderSagaV2Definition.ts';
import { checkSaga, formatSafetyReport, type SafetyReport } from '../../runtime/safety/checkSaga.ts';
import { MachineRegistry, type SagaDefinition } from '../../runtime/sagaDefinition.ts';
import { deadEndSaga, deafSaga, endlessRetrySaga, orphanCommandSaga, soundSaga, trappedSaga, uncompensatedSaga, wrongOrderSaga } from '../fixtures/brokenMachines.ts';
import { generatePaths } from '../graph/generatePaths.ts';
import { runOnMachine } from '../graph/machineRun.ts';
import { pathModelFor } from '../graph/pathModels.ts';

const { registry, participants } = sagaCatalog();
const check = (machine: AnyStateMachine) => checkSaga(machine, participants, { version: 1 });
const found = (report: SafetyReport) => report.problems.map((p) => `${p.check} ${p.state ?? '-'}`);

describe('xsaga check on the registered sagas', () => {
  /** States and transitions of each registered version: v2 adds the fraud review's five states and its transitions. */
  const sizes: Record<number, { states: number; transitions: number }> = { 1: { states: 20, transitions: 31 }, 2: { states: 25, transitions: 44 } };
  const operatorEventsOf = (definition: SagaDefinition) => [...Object.values(definition.operatorActions ?? {}), ...(definition.version >= 2 ? FRAUD_REVIEW_DECISIONS : [])];

  it.each(registry.all().map((definition) => ({ label: `${definition.machine.id}@${definition.version}`, definition })))('finds $label safe', ({ definition }) => {
    const report = checkSaga(definition.machine, participants, { version: definition.version, operatorEvents: operatorEventsOf(definition) });
    expect(report.problems).toEqual([]);
    expect(report.warnings).toEqual([]);
    const { states, transitions } = sizes[definition.version]!;
    expect(report.states).toBe(states);
    expect(report.transitions).toBe(transitions);
    expect(formatSafetyReport(report)).toMatch(
      new RegExp(`^orderSaga@${definition.version}: ${states} states, ${transitions} transitions;[^]*✓ way-out[^]*✓ compensation[^]*✓ retry-exit[^]*✓ replies[^]*✓ commands[^]* safe$`),
    );
  });

  it('checks both registered versions of the order saga', () => {
    expect(registry.all().map((d) => `${d.machine.id}@${d.version}`)).toEqual(['orderSaga@1', 'orderSaga@2']);
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
    ]);
  });

  it('exits 1 and names the state when a registered machine is unsafe', async () => {
    const [order] = registry.all() as SagaDefinition[];
    const broken = new MachineRegistry().register(order!).register({ ...order!, machine: deadEndSaga, version: 2 } as SagaDefinition);
    const out = capture();
    expect(await runCheckCommand([], { ...out, catalog: { registry: broken, participants } })).toBe(1);
    expect(out.printed.join('\n')).toContain('brokenSaga@2');
    expect(out.printed.join('\n')).toContain('state "awaitingPickup" accepts no event and has no deadline');
  });

  it('exits 2 on an unknown option', async () => {
    const out = capture();
    expect(await runCheckCommand(['--nope'], out)).toBe(2);
    expect(out.printed.join('\n')).toContain('usage: xsaga check');
  });
});

import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createMachine, setup, type AnyStateMachine, type AnyStateNode } from 'xstate';
import { exportMachine, exportProblems, machineImportCode } from '../../api/machines/exportMachine.ts';
import { hostedMachines, runExportCommand } from '../../app/commands/export.ts';
import { orderSaga } from '../../machines/orderSaga.ts';
import { orderSagaV2 } from '../../machines/orderSagaV2.ts';

const nameOf = (reference: unknown): string => (typeof reference === 'string' ? reference : String((reference as { type?: unknown }).type));

/**
 * A machine's structure read straight from XState's state nodes, independent of the exporter and
 * the dashboard: every state with its type and initial child, every transition with its event,
 * targets, guard, actions and re-entry, every entry and exit action.
 */
function shapeOf(machine: AnyStateMachine): unknown[] {
  const shape: unknown[] = [];
  const visit = (node: AnyStateNode) => {
    shape.push({
      id: node.id,
      type: node.type,
      initial: node.initial?.target.map((target: AnyStateNode) => target.id) ?? null,
      entry: [node.config.entry ?? []].flat().map(nameOf),
      exit: [node.config.exit ?? []].flat().map(nameOf),
      transitions: [...node.transitions].map(([event, candidates]) => ({
        event,
        candidates: candidates.map((t) => ({
          targets: (t.target ?? []).map((target: AnyStateNode) => target.id),
          guard: t.guard === undefined ? null : nameOf(t.guard),
          actions: (t.actions ?? []).map(nameOf),
          reenter: t.reenter,
        })),
      })),
      after: node.after.map((after) => ({ delay: nameOf(after.delay), event: after.eventType })),
    });
    for (const child of Object.values(node.states as Record<string, AnyStateNode>)) visit(child);
  };
  visit(machine.root);
  return shape;
}

const machines = hostedMachines().all();

describe('order saga v1, kept as it was while v2 was added beside it', () => {
  it('exports byte for byte the definition it had before v2 (test/fixtures/orderSagaV1.json)', () => {
    const fixture = readFileSync(new URL('../fixtures/orderSagaV1.json', import.meta.url), 'utf8');
    expect(`${JSON.stringify(exportMachine(orderSaga), null, 2)}\n`).toBe(fixture);
    expect(hostedMachines().get('orderSaga', 1)!.machine).toBe(orderSaga);
  });
});

describe('every hosted machine, as Stately and XState see its exported definition', () => {
  it.each(machines.map((d) => [`${d.machine.id}@${d.version}`, d.machine] as const))('%s has only named actions, guards and delays that setup() provides', (_, machine) => {
    expect(exportProblems(machine)).toEqual([]);
  });

  it.each(machines.map((d) => [`${d.machine.id}@${d.version}`, d.machine] as const))('%s round-trips: its JSON imported into XState has the same states and transitions', (_, machine) => {
    const json = JSON.parse(JSON.stringify(exportMachine(machine)));
    const imported = createMachine(json);
    expect(shapeOf(imported)).toEqual(shapeOf(machine));
    expect(imported.id).toBe(machine.id);
    // A real structure was compared, not two empty ones.
    expect(shapeOf(machine).length).toBeGreaterThanOrEqual(10);
    // Descriptions, which Stately shows on the chart, come along.
    expect(imported.root.states.payment?.description).toBe(machine.root.states.payment?.description);
  });

  it('keeps the chart and leaves the context, built from each saga input, out', () => {
    const json = exportMachine(machines[0]!.machine);
    expect(Object.keys(json).sort()).toEqual(['id', 'initial', 'states']);
    expect(JSON.stringify(json)).toContain('"paymentTimeout"');
    expect(JSON.stringify(json)).toContain('"canRetry"');
  });

  it('offers the same definition as code that Stately Studio imports as it is', () => {
    const { machine } = machines[0]!;
    const code = machineImportCode(machine);
    expect(code).toMatch(/^import \{ createMachine \} from 'xstate';\n\nexport const orderSaga = createMachine\(/);
    const json = code.slice(code.indexOf('createMachine(') + 'createMachine('.length, code.lastIndexOf(');'));
    expect(JSON.parse(json)).toEqual(exportMachine(machine));
  });
});

describe('exportProblems', () => {
  it('names inline functions and references that setup() does not provide, by path', () => {
    // Typed loosely on purpose: setup()'s types would refuse the names this test needs to be unknown.
    const config = {
      id: 'bad',
      initial: 'a',
      states: {
        a: { entry: ['known', 'unknown', () => undefined], on: { GO: { guard: 'missing', target: 'b' } }, after: { slow: 'b', 1000: 'b' } },
        b: {},
      },
    };
    const machine = setup({ actions: { known: () => undefined } }).createMachine(config as never) as unknown as AnyStateMachine;
    expect(exportProblems(machine)).toEqual([
      { path: 'states.a.entry[2]', detail: expect.stringMatching(/^inline function/) },
      { path: 'states.a.entry[1]', detail: 'action "unknown" is not provided by setup()' },
      { path: 'states.a.on.GO.guard', detail: 'guard "missing" is not provided by setup()' },
      { path: 'states.a.after.slow', detail: 'delay "slow" is not provided by setup()' },
    ]);
    expect(() => exportMachine(machine)).toThrow(/states\.a\.entry\[2\]: inline function/);
  });
});

describe('xsaga export', () => {
  const written: string[] = [];
  afterEach(() => {
    vi.restoreAllMocks();
    written.length = 0;
  });
  const capture = () => {
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      written.push(String(chunk));
      return true;
    });
    vi.spyOn(console, 'log').mockImplementation((line: unknown) => void written.push(`${String(line)}\n`));
    return vi.spyOn(console, 'error').mockImplementation(() => undefined);
  };

  it('prints the definition as JSON, the same that GET /machines/:id serves', async () => {
    capture();
    expect(await runExportCommand(['orderSaga'])).toBe(0);
    // The newest version, unless --version names another.
    expect(JSON.parse(written.join(''))).toEqual(exportMachine(orderSagaV2));
  });

  it('exports every registered version of the order saga, and each opens in Stately as code', async () => {
    capture();
    for (const [version, machine] of [[1, orderSaga], [2, orderSagaV2]] as const) {
      written.length = 0;
      expect(await runExportCommand(['orderSaga', '--version', String(version), '--format', 'code'])).toBe(0);
      const code = written.join('');
      expect(code).toBe(machineImportCode(machine));
      // What Stately's import reads: the createMachine call's argument, a plain JSON config.
      const json = JSON.parse(code.slice(code.indexOf('createMachine(') + 'createMachine('.length, code.lastIndexOf(');')));
      expect(createMachine(json).id).toBe('orderSaga');
      expect(Object.keys(json.states).includes('fraudReview')).toBe(version === 2);
    }
  });

  it('prints it as code with --format code, and lists the machines with --list', async () => {
    capture();
    expect(await runExportCommand(['orderSaga', '--format', 'code'])).toBe(0);
    expect(written.join('')).toBe(machineImportCode(orderSagaV2));
    written.length = 0;
    expect(await runExportCommand(['--list'])).toBe(0);
    expect(written.join('')).toBe('orderSaga@1\norderSaga@2 (newest: new sagas start on it)\nreturnSaga@1 (newest: new sagas start on it)\n');
  });

  it.each([[['nope']], [['orderSaga', '--version', '99']], [[]], [['orderSaga', '--format', 'yaml']], [['--bogus']]])('answers %j with exit code 2 and a message', async (args) => {
    const errors = capture();
    expect(await runExportCommand(args)).toBe(2);
    expect(errors).toHaveBeenCalled();
    expect(written).toEqual([]);
  });
});

import type { AnyStateMachine } from 'xstate';

/** A machine config as JSON: what `createMachine()` takes and what Stately Studio imports. */
export type MachineJson = { readonly id: string } & Readonly<Record<string, unknown>>;

/** Where a config would not survive a trip through JSON or Stately, e.g. `states.payment.entry[1]: inline function`. */
export type ExportProblem = Readonly<{ path: string; detail: string }>;

// Built from the order's input when the saga starts: data, not part of the chart.
const DATA_KEYS = new Set(['context']);
const REFERENCE_KEYS = new Set(['entry', 'exit', 'actions']);

const pathOf = (path: readonly (string | number)[]): string => path.map((part, i) => (typeof part === 'number' ? `[${part}]` : i === 0 ? part : `.${part}`)).join('');

/**
 * What keeps a machine from opening in Stately unchanged: an inline function anywhere in its
 * chart, or a named action, guard or delay that `setup()` does not provide.
 */
export function exportProblems(machine: AnyStateMachine): ExportProblem[] {
  const problems: ExportProblem[] = [];
  const implementations = machine.implementations as { actions: object; guards: object; delays: object };
  const known = (kind: 'actions' | 'guards' | 'delays', name: string) => Object.hasOwn(implementations[kind], name);
  const reference = (kind: 'actions' | 'guards', value: unknown, path: (string | number)[]) => {
    const name = typeof value === 'string' ? value : (value as { type?: unknown } | null)?.type;
    if (typeof name === 'string' && !name.startsWith('xstate.') && !known(kind, name)) problems.push({ path: pathOf(path), detail: `${kind.slice(0, -1)} "${name}" is not provided by setup()` });
  };
  const visit = (value: unknown, path: (string | number)[]): void => {
    const key = path.at(-1);
    if (typeof value === 'function') {
      problems.push({ path: pathOf(path), detail: 'inline function: name it in setup() and refer to it by name' });
      return;
    }
    if (Array.isArray(value)) {
      value.forEach((item, index) => visit(item, [...path, index]));
      if (typeof key === 'string' && REFERENCE_KEYS.has(key)) value.forEach((item, index) => reference('actions', item, [...path, index]));
      return;
    }
    if (!value || typeof value !== 'object') {
      if (typeof key === 'string' && REFERENCE_KEYS.has(key)) reference('actions', value, path);
      if (key === 'guard') reference('guards', value, path);
      return;
    }
    if (typeof key === 'string' && REFERENCE_KEYS.has(key)) reference('actions', value, path);
    if (key === 'guard') reference('guards', value, path);
    for (const [child, inner] of Object.entries(value)) {
      if (path.length === 0 && DATA_KEYS.has(child)) continue;
      if (key === 'after' && !/^\d+$/.test(child) && !known('delays', child)) problems.push({ path: pathOf([...path, child]), detail: `delay "${child}" is not provided by setup()` });
      visit(inner, [...path, child]);
    }
  };
  visit(machine.config, []);
  return problems;
}

/**
 * The machine's config as plain JSON: every state, transition, named action, guard and delay,
 * descriptions included. Context is left out: it is built from each saga's input at run time.
 * Throws when the machine holds an inline function, which JSON would silently drop.
 *
 * @example
 * const json = exportMachine(orderSaga);
 * const same = createMachine(json); // same states and transitions, no implementations
 */
export function exportMachine(machine: AnyStateMachine): MachineJson {
  const problems = exportProblems(machine).filter((problem) => problem.detail.startsWith('inline function'));
  if (problems.length > 0) {
    throw new Error(`Machine ${machine.id} cannot be exported as JSON: ${problems.map((p) => `${p.path}: ${p.detail}`).join('; ')}`);
  }
  const config = Object.fromEntries(Object.entries(machine.config as Record<string, unknown>).filter(([key, value]) => !DATA_KEYS.has(key) && value !== undefined));
  return JSON.parse(JSON.stringify(config)) as MachineJson;
}

/** The export as code that Stately Studio's "Import" accepts as it is. */
export function machineImportCode(machine: AnyStateMachine): string {
  return `import { createMachine } from 'xstate';\n\nexport const ${machine.id.replace(/[^A-Za-z0-9_$]/g, '_')} = createMachine(${JSON.stringify(exportMachine(machine), null, 2)});\n`;
}

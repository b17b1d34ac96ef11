import { writeFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { exportMachine, exportProblems, machineImportCode } from '../../api/machines/exportMachine.ts';
import type { MachineRegistry } from '../../runtime/sagaDefinition.ts';
import { sagaCatalog } from '../sagaCatalog.ts';

export const EXPORT_USAGE = `usage: xsaga export <machine> [--version N] [--format json|code] [--out FILE]
       xsaga export --list

  json   the machine definition (default), as GET /machines/<machine> serves it
  code   createMachine(<definition>), ready for Stately Studio's Import`;

/** The machines xsaga hosts; the same definitions the system registers. */
export function hostedMachines(): MachineRegistry {
  return sagaCatalog().registry;
}

/**
 * `xsaga export`: prints a machine's definition as JSON (or as code for Stately Studio).
 * Resolves to the process exit code: 0, or 2 for a usage error or an unknown machine.
 *
 * @example
 * process.exitCode = await runExportCommand(['orderSaga', '--format', 'code']);
 */
export async function runExportCommand(args: readonly string[], registry: MachineRegistry = hostedMachines()): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...args],
      allowPositionals: true,
      options: { version: { type: 'string' }, format: { type: 'string', default: 'json' }, out: { type: 'string' }, list: { type: 'boolean', default: false } },
    });
  } catch (error) {
    console.error(`${(error as Error).message}\n\n${EXPORT_USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  const ids = [...new Set(registry.all().map((definition) => definition.machine.id))].sort();
  if (values.list) {
    // Every registered version: streams stay on the version they started on, so each one may need opening.
    for (const id of ids) {
      const newest = registry.latest(id)!.version;
      const versions = registry.all().filter((definition) => definition.machine.id === id).map((definition) => definition.version).sort((a, b) => a - b);
      for (const version of versions) console.log(`${id}@${version}${version === newest ? ' (newest: new sagas start on it)' : ''}`);
    }
    return 0;
  }
  const [machineId, ...extra] = positionals;
  const version = values.version === undefined ? undefined : Number(values.version);
  if (machineId === undefined || extra.length > 0 || (values.format !== 'json' && values.format !== 'code') || (version !== undefined && (!Number.isInteger(version) || version < 1))) {
    console.error(EXPORT_USAGE);
    return 2;
  }
  const definition = version === undefined ? registry.latest(machineId) : registry.get(machineId, version);
  if (!definition) {
    console.error(`No machine ${machineId}${version === undefined ? '' : `@${version}`}; known: ${ids.join(', ')}`);
    return 2;
  }
  for (const problem of exportProblems(definition.machine)) console.error(`warning: ${problem.path}: ${problem.detail}`);
  const text = values.format === 'code' ? machineImportCode(definition.machine) : `${JSON.stringify(exportMachine(definition.machine), null, 2)}\n`;
  if (values.out === undefined) process.stdout.write(text);
  else {
    await writeFile(values.out, text);
    console.error(`${definition.machine.id}@${definition.version} written to ${values.out}`);
  }
  return 0;
}

import { Router, type Request, type Response } from 'express';
import { isXsagaError } from '../../runtime/errors.ts';
import type { MachineRegistry, SagaDefinition } from '../../runtime/sagaDefinition.ts';
import type { SagaStore } from '../../runtime/sagaStore.ts';
import type { SagaViewBase, SagaViewStore } from '../../runtime/viewStore.ts';
import { sendProblem } from '../problem.ts';
import { validateRequest } from '../validateRequest.ts';
import { exportMachine } from './exportMachine.ts';
import { machineGraph, type MachineGraph } from './machineGraph.ts';
import { MACHINE_VERSION_HEADER, machineParams, machineSagasQuery, machineVersionQuery, sagaParams } from './machinesContract.ts';
import { traceSaga } from './sagaTrace.ts';
import { layoutStatechart, type StatechartLayout } from './statechartLayout.ts';

export type MachinesRouterDeps = Readonly<{
  registry: MachineRegistry;
  store: SagaStore;
  /** The read model that holds the views of a machine's sagas, by machine id. */
  readModels: Readonly<Record<string, SagaViewStore<SagaViewBase>>>;
  now?: () => number;
}>;

/**
 * The machines the runtime hosts, for tools and the dashboard: each definition as JSON (what
 * Stately imports), its laid-out statechart, live counts per state, the sagas in a state, and one
 * saga's path with its history (`machinesContract.ts` documents them).
 */
/**
 * How many sagas run on each version of the machine, by the `machineVersion` their views carry. A
 * saga whose views carry none (its view spec declares no such keyword) is counted by no version.
 */
async function sagasByVersion(readModel: SagaViewStore<SagaViewBase>): Promise<Record<string, number>> {
  try {
    return await readModel.countBy('machineVersion');
  } catch (error) {
    if (isXsagaError(error, 'VALIDATION')) return {};
    throw error;
  }
}

export function machinesRouter(deps: MachinesRouterDeps): Router {
  const router = Router();
  const now = deps.now ?? Date.now;
  const graphs = new Map<SagaDefinition, MachineGraph>();
  const layouts = new Map<SagaDefinition, Promise<StatechartLayout>>();
  const graphOf = (definition: SagaDefinition): MachineGraph => {
    let graph = graphs.get(definition);
    if (!graph) graphs.set(definition, (graph = machineGraph(definition.machine)));
    return graph;
  };

  /** The requested version (`?version=`), or the newest; answers 404 itself when there is none. */
  function definitionOf(req: Request, res: Response): SagaDefinition | undefined {
    const { version } = validateRequest(machineVersionQuery, req.query);
    const { id } = validateRequest(machineParams, req.params);
    const definition = version === 0 ? deps.registry.latest(id) : deps.registry.get(id, version);
    if (!definition) sendProblem(res, { status: 404, detail: `No machine ${id}${version === 0 ? '' : ` version ${version}`}.`, instance: req.originalUrl });
    return definition;
  }

  router.get('/machines', (_req, res) => {
    const all = deps.registry.all();
    const ids = [...new Set(all.map((definition) => definition.machine.id))].sort();
    res.json({
      machines: ids.map((id) => ({
        id,
        version: deps.registry.latest(id)!.version,
        versions: all.filter((d) => d.machine.id === id).map((d) => d.version).sort((a, b) => a - b),
        hasReadModel: id in deps.readModels,
      })),
    });
  });

  router.get('/machines/:id', (req, res) => {
    const definition = definitionOf(req, res);
    if (!definition) return;
    res.set(MACHINE_VERSION_HEADER, String(definition.version)).json(exportMachine(definition.machine));
  });

  router.get('/machines/:id/layout', async (req, res) => {
    const definition = definitionOf(req, res);
    if (!definition) return;
    let layout = layouts.get(definition);
    if (!layout) {
      layout = layoutStatechart(graphOf(definition));
      layouts.set(definition, layout);
      layout.catch(() => layouts.delete(definition));
    }
    res.json({ version: definition.version, ...(await layout) });
  });

  router.get('/machines/:id/stats', async (req, res) => {
    const definition = definitionOf(req, res);
    if (!definition) return;
    const readModel = deps.readModels[definition.machine.id];
    const asOf = now();
    const [states, byVersion] = readModel ? await Promise.all([readModel.statsByState(), sagasByVersion(readModel)]) : [[], {}];
    res.json({
      machineId: definition.machine.id,
      asOf: new Date(asOf).toISOString(),
      total: states.reduce((sum, s) => sum + s.count, 0),
      byVersion,
      states: states.map((s) => ({ ...s, oldestAgeMs: Math.max(0, asOf - Date.parse(s.oldestUpdatedAt)) })),
    });
  });

  router.get('/machines/:id/sagas', async (req, res) => {
    const definition = definitionOf(req, res);
    if (!definition) return;
    const { state, q, limit, offset } = validateRequest(machineSagasQuery, req.query);
    const readModel = deps.readModels[definition.machine.id];
    res.json(readModel ? await readModel.search({ state, text: q, limit, offset }) : { total: 0, items: [] });
  });

  router.get('/machines/:id/sagas/:sagaId', async (req, res) => {
    const { id, sagaId } = validateRequest(sagaParams, req.params);
    const loaded = await deps.store.load(sagaId);
    if (!loaded || loaded.head.machineId !== id) {
      sendProblem(res, { status: 404, detail: `No saga ${sagaId} of machine ${id}.`, instance: req.originalUrl });
      return;
    }
    const definition = deps.registry.get(id, loaded.head.machineVersion);
    if (!definition) {
      sendProblem(res, { status: 404, detail: `Machine ${id} version ${loaded.head.machineVersion} is not registered here.`, instance: req.originalUrl });
      return;
    }
    res.json(traceSaga(definition, graphOf(definition), loaded.head, await deps.store.readStream(sagaId, 1)));
  });

  return router;
}

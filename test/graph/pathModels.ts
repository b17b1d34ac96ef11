import { returnSagaPathModel } from '../../returns/returnSagaPathModel.ts';
import type { SagaDefinition } from '../../runtime/sagaDefinition.ts';
import { orderSagaPathModel } from './orderSagaPathModel.ts';
import { orderSagaV2PathModel } from './orderSagaV2PathModel.ts';
import type { SagaPathModel } from './sagaPathModel.ts';

/** The path model of every machine version the system registers. */
export const pathModels: readonly SagaPathModel[] = [orderSagaPathModel, orderSagaV2PathModel, returnSagaPathModel];

/** The model of a registered machine; a machine registered without one fails the path suites here. */
export function pathModelFor(definition: SagaDefinition): SagaPathModel {
  const model = pathModels.find((m) => m.machineId === definition.machine.id && m.version === definition.version);
  if (!model) {
    throw new Error(`${definition.machine.id}@${definition.version} is registered but has no path model: add one to test/graph/pathModels.ts`);
  }
  return model;
}

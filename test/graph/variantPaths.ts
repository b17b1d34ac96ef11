import type { AnyStateMachine } from 'xstate';
import { generatePaths, type SagaPath } from './generatePaths.ts';
import type { SagaPathModel } from './sagaPathModel.ts';

/** A generated path with the stream (variant) whose input it was generated from. */
export type VariantPath = Readonly<{ variant: string; input: unknown; path: SagaPath }>;

/**
 * The paths of every variant of a model: each variant's input may send the machine a different way
 * from its start, so each is generated on its own, and their paths together must cover the machine.
 */
export function generateVariantPaths(machine: AnyStateMachine, model: SagaPathModel): VariantPath[] {
  return (model.variants ?? ['generated']).flatMap((variant) => {
    const input = model.input(variant);
    return generatePaths(machine, { ...model, input: () => input }).map((path) => ({ variant, input, path: { ...path, name: `${variant}: ${path.name}` } }));
  });
}

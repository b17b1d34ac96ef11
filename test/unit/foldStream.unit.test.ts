import { describe, expect, it } from 'vitest';
import type { AnyMachineSnapshot, EventObject } from 'xstate';
import { sagaCatalog } from '../../app/sagaCatalog.ts';
import { foldStream, type FoldedEvent } from '../../runtime/foldStream.ts';
import { timerFiredEnvelope } from '../../runtime/machineEvent.ts';
import { createMessage } from '../../runtime/message.ts';
import type { StoredEvent } from '../../runtime/sagaStore.ts';
import { generatePaths } from '../graph/generatePaths.ts';
import { runOnMachine } from '../graph/machineRun.ts';
import { pathModelFor } from '../graph/pathModels.ts';

const { registry } = sagaCatalog();
const definition = registry.all()[0]!;
const model = pathModelFor(definition);
const paths = generatePaths(definition.machine, model);
const START = Date.parse('2030-01-01T00:00:00.000Z');
const at = (step: number) => new Date(START + step * 1000).toISOString();

/** The stored stream of a generated path: the start event, then each reply, operator action or fired timer. */
function streamOf(streamId: string, events: readonly EventObject[]): StoredEvent[] {
  const start = createMessage(definition.startEvent, model.input(streamId), { messageId: `${streamId}/start`, correlationId: streamId, occurredAt: at(0) });
  return [
    { version: 1, message: start },
    ...events.map((event, i) => ({
      version: i + 2,
      message: event.type.startsWith('xstate.after.')
        ? timerFiredEnvelope('inbox', streamId, { timerId: `timer-${i}`, event, armedVersion: i + 1, dueAt: at(i + 1) }).message
        : createMessage(event.type, (event as { data?: unknown }).data ?? {}, { messageId: `${streamId}/${i}`, correlationId: streamId, occurredAt: at(i + 1) }),
    })),
  ];
}

const seen = (snapshot: AnyMachineSnapshot | undefined) => snapshot && { value: snapshot.value, context: snapshot.context, status: snapshot.status };
const emittedBy = (folded: FoldedEvent) => folded.actions.filter((a) => a.type === 'xstate.emit').map((a) => (a.params as { event: EventObject }).event);

describe('foldStream, the one fold of a stream', () => {
  it(`steps through each of the ${paths.length} generated paths as xstate's own transition() does, reporting every event`, () => {
    paths.forEach((path, p) => {
      const streamId = `order-${p}`;
      const reference = runOnMachine(definition.machine, model.input(streamId), path.events);
      const steps: FoldedEvent[] = [];
      const last = foldStream(definition, streamOf(streamId, path.events), { onEvent: (folded) => steps.push(folded) });

      expect(steps.map((s) => s.version), path.name).toEqual(reference.snapshots.map((_, i) => i + 1));
      expect(steps[0]!.before).toBeUndefined();
      expect(steps[0]!.event).toEqual({ type: 'xstate.init', input: model.input(streamId) });
      // A fired timer delivers the delayed event it held, a reply arrives as itself.
      expect(steps.slice(1).map((s) => s.event.type), path.name).toEqual(path.events.map((e) => e.type));
      steps.slice(1).forEach((s, i) => expect(s.before).toBe(steps[i]!.after));
      expect(steps.map((s) => seen(s.after)), path.name).toEqual(reference.snapshots.map(seen));
      expect(steps.map(emittedBy), path.name).toEqual(reference.emitted);
      expect(last).toBe(steps.at(-1)!.after);
    });
  });

  it('continues from a restored snapshot to where folding from the start leads', () => {
    for (const path of paths.filter((p) => p.events.length >= 4).slice(0, 20)) {
      const stream = streamOf('order-restored', path.events);
      const whole = foldStream(definition, stream);
      const cut = 3;
      const head = foldStream(definition, stream.slice(0, cut))!;
      const restored = definition.machine.resolveState(JSON.parse(JSON.stringify(definition.machine.getPersistedSnapshot(head))));
      const versions: number[] = [];
      const rest = foldStream(definition, stream.slice(cut), { from: restored, onEvent: ({ version }) => versions.push(version) });
      expect(versions).toEqual(stream.slice(cut).map((e) => e.version));
      expect(seen(rest), path.name).toEqual(seen(whole));
    }
  });

  it('returns nothing for an empty stream, and the snapshot it started from when no event follows', () => {
    expect(foldStream(definition, [])).toBeUndefined();
    const started = foldStream(definition, streamOf('order-empty', []))!;
    expect(foldStream(definition, [], { from: started })).toBe(started);
  });
});

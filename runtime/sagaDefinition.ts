import type { AnyStateMachine, InputFrom, SnapshotFrom } from 'xstate';
import { XsagaError } from './errors.ts';
import type { Message } from './message.ts';
import { transitionsOf } from './machineGraph.ts';

/** What a saga accepts of one message type. */
export type EventRule = Readonly<{
  /** What is wrong with the message's data, or undefined when it has the event's shape. */
  check(data: unknown): string | undefined;
  /**
   * The commands this event answers. Such a reply is a fact of the saga only when its causation id
   * names one of these commands that the saga emitted and that no stored event has answered yet.
   * Absent: the event answers no command (the start event, an operator's decision).
   */
  answers?: readonly string[];
}>;

/** The rules of every message type a saga accepts, by type. */
export type EventRules = Readonly<Record<string, EventRule>>;

/** What an operator may do to a saga by hand. */
export type OperatorAction = 'retry' | 'resume' | 'cancel';

/**
 * How the runtime hosts one machine version: how a stream starts, where its commands go and
 * what its read-model view looks like. Everything the runtime needs to know about a saga type.
 */
export interface SagaDefinition<TMachine extends AnyStateMachine = AnyStateMachine, TView = unknown> {
  readonly machine: TMachine;
  /** Pinned into every stream it starts; a stream is always replayed through the version it began on. */
  readonly version: number;
  /** The type of the first event of a stream (e.g. `OrderPlaced`); its data becomes the machine input. */
  readonly startEvent: string;
  input(start: Message): InputFrom<TMachine>;
  /**
   * Every message type the saga accepts, its start event included; any other message is
   * dead-lettered and never moves a saga. Fired timers (`TimerFired`) follow the runtime's rules.
   */
  readonly events: EventRules;
  /** The topic a command goes to. */
  topicOf(command: Readonly<{ type: string }>): string;
  /** The saga's read-model document after an event; published to `factsTopic`. */
  view(args: Readonly<{ streamId: string; version: number; snapshot: SnapshotFrom<TMachine>; updatedAt: string }>): TView;
  readonly factsTopic: string;
  /**
   * The event each operator action sends into the saga (data `{ operator, reason }`); an action the
   * machine has no event for, or that its current state does not accept, is refused.
   */
  readonly operatorActions?: Readonly<Partial<Record<OperatorAction, string>>>;
  /**
   * How a saga that reached a final state ended, for metrics: failed or not, and why (a small set
   * of reasons: it becomes a label). Absent: a final state named like a failure (fail, error, cancel…) failed.
   */
  outcome?(snapshot: SnapshotFrom<TMachine>): Readonly<{ failed: boolean; reason: string }>;
}

/** Machines the runtime can host, by machine id and version. */
export class MachineRegistry {
  readonly #definitions = new Map<string, SagaDefinition>();

  /** Refuses a definition whose machine listens for an event it has no rule for: every such message would be dead-lettered. */
  register(definition: SagaDefinition): this {
    const unruled = [...new Set(transitionsOf(definition.machine).map((t) => t.eventType))].filter(
      (type) => type !== '' && type !== '*' && !type.startsWith('xstate.') && !Object.hasOwn(definition.events, type),
    );
    if (unruled.length > 0) {
      throw new XsagaError('CONFIG', `${definition.machine.id}@${definition.version} accepts ${unruled.join(', ')} but declares no rule for ${unruled.length > 1 ? 'them' : 'it'} in its events`);
    }
    this.#definitions.set(keyOf(definition.machine.id, definition.version), definition);
    return this;
  }

  get(machineId: string, version: number): SagaDefinition | undefined {
    return this.#definitions.get(keyOf(machineId, version));
  }

  /** The newest registered version of a machine: new sagas start on it. */
  latest(machineId: string): SagaDefinition | undefined {
    let best: SagaDefinition | undefined;
    for (const definition of this.#definitions.values()) {
      if (definition.machine.id === machineId && (!best || definition.version > best.version)) best = definition;
    }
    return best;
  }

  all(): readonly SagaDefinition[] {
    return [...this.#definitions.values()];
  }
}

const keyOf = (machineId: string, version: number): string => `${machineId}@${version}`;

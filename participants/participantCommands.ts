import { XsagaError } from '../runtime/errors.ts';
import type { Message } from '../runtime/message.ts';
import type { CommandContract } from '../runtime/safety/participantContract.ts';
import type { SqlQueryable } from '../runtime/sqlClient.ts';
import { orderIdOf, type OutcomeRow, type ParticipantSpec, type Performed, type Reply } from './participant.ts';

/**
 * Commands a saga folder adds to an existing participant (by its name), without editing it: the
 * participant's one consumer performs them too, in its own transaction and outcome table.
 */
export type ParticipantCommands = Readonly<{
  /** The name of the participant they join (`payment`, `inventory`, `shipping`). */
  participant: string;
  handles: Readonly<Record<string, CommandContract>>;
  /** Outcome columns these commands write besides the participant's own; the saga's migration adds them, nullable. */
  outcomeColumns?: Readonly<Record<string, string>>;
  /**
   * Performs these commands, in order, inside the batch's transaction; one result per command.
   * `earlier`: the participant's outcome rows of the batch's subjects, as `ParticipantSpec.perform` gets them.
   */
  perform(tx: SqlQueryable, commands: readonly Message[], earlier: readonly OutcomeRow[]): Promise<Performed[]>;
  transientFailure(command: Message): Reply;
  /** What each command is about (its outcome row and guard key). Absent: `data.orderId`. */
  subjectOf?(command: Message): string;
}>;

/**
 * Declares commands a saga adds to a participant; the system merges them with `mergeParticipantCommands`.
 *
 * @example
 * participantCommands({ participant: 'payment', handles: { RefundReturn: { done: ['ReturnRefunded'], failed: ['ReturnRefundFailed'] } }, perform, transientFailure })
 */
export const participantCommands = (commands: ParticipantCommands): ParticipantCommands => commands;

/** Who performs a command of the merged participant: the base, or one contribution. */
type Owner = Pick<ParticipantCommands, 'perform' | 'transientFailure' | 'subjectOf'>;

function mergedColumns(base: ParticipantSpec, extras: readonly ParticipantCommands[]): Record<string, string> {
  const columns: Record<string, string> = { ...base.outcomeColumns };
  for (const extra of extras) {
    for (const [name, type] of Object.entries(extra.outcomeColumns ?? {})) {
      if (Object.hasOwn(columns, name) && columns[name] !== type) {
        throw new XsagaError('CONFIG', `${base.name}: outcome column ${name} is ${columns[name]} and ${type}`);
      }
      columns[name] = type;
    }
  }
  return columns;
}

/**
 * One participant out of its own spec and the commands sagas added to it: one consumer, the union
 * of what they handle. A batch is split by command type; each owner performs its own commands in
 * their order, in the batch's transaction, and the results go back in batch order. Refuses a
 * contribution for another participant, and a command two owners claim.
 *
 * @example
 * const payment = mergeParticipantCommands(paymentParticipant(topics.paymentCommands), [returnPaymentCommands]);
 */
export function mergeParticipantCommands(base: ParticipantSpec, extras: readonly ParticipantCommands[]): ParticipantSpec {
  if (extras.length === 0) return base;
  const owners = new Map<string, Owner>(Object.keys(base.handles).map((type) => [type, base]));
  for (const extra of extras) {
    if (extra.participant !== base.name) throw new XsagaError('CONFIG', `commands for participant ${extra.participant} cannot join ${base.name}`);
    for (const type of Object.keys(extra.handles)) {
      if (owners.has(type)) throw new XsagaError('CONFIG', `${base.name} is given ${type} twice`);
      owners.set(type, extra);
    }
  }
  const ownerOf = (command: Message): Owner => {
    const owner = owners.get(command.type);
    if (!owner) throw new Error(`${base.name} cannot handle ${command.type}`);
    return owner;
  };
  return {
    ...base,
    handles: Object.assign({}, base.handles, ...extras.map((extra) => extra.handles)) as ParticipantSpec['handles'],
    outcomeColumns: mergedColumns(base, extras),
    transientFailure: (command) => ownerOf(command).transientFailure(command),
    subjectOf: (command) => (ownerOf(command).subjectOf ?? orderIdOf)(command),
    async perform(tx, commands, earlier) {
      const byOwner = new Map<Owner, number[]>();
      commands.forEach((command, i) => {
        const owner = ownerOf(command);
        byOwner.set(owner, [...(byOwner.get(owner) ?? []), i]);
      });
      const results: Performed[] = new Array<Performed>(commands.length);
      // One owner after the other: they share the transaction, whose statements cannot overlap.
      for (const [owner, positions] of byOwner) {
        const performed = await owner.perform(
          tx,
          positions.map((i) => commands[i]!),
          earlier,
        );
        if (performed.length !== positions.length) throw new Error(`${base.name}: ${positions.length} commands performed into ${performed.length} results`);
        positions.forEach((position, i) => (results[position] = performed[i]!));
      }
      return results;
    },
  };
}

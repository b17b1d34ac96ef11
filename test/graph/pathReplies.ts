import { replyMeanings, type ParticipantContract } from '../../runtime/safety/participantContract.ts';
import type { MachineRun } from './machineRun.ts';

/** Where a command sits in its stream: the version whose commit sent it, and its place among that commit's commands. */
export type CommandPosition = Readonly<{ version: number; index: number }>;

/** The position a command's message id names (`<stream>/<version>/<index>`, as the runtime numbers them); undefined for any other id. */
export function commandPositionOf(streamId: string, messageId: string): CommandPosition | undefined {
  if (!messageId.startsWith(`${streamId}/`)) return undefined;
  const [version, index, ...rest] = messageId.slice(streamId.length + 1).split('/').map(Number);
  if (rest.length > 0 || !Number.isInteger(version) || !Number.isInteger(index)) return undefined;
  return { version: version!, index: index! };
}

/** The message id the runtime gives the command at `position` of a stream. */
export const commandIdAt = (streamId: string, position: CommandPosition): string => `${streamId}/${position.version}/${position.index}`;

/**
 * The command each reply step of a run answers, by step (0-based): the latest command sent by then
 * of a type the reply answers that no earlier step answered. In a sequential saga that is the
 * command of the version just before the step. Where one commit sends several commands (the
 * regions of a parallel state), the path may list their replies in any order, with other steps of
 * the regions (a retry, its timer) between them. A reply step with no such command is left out.
 */
export function repliedCommands(run: MachineRun, participants: readonly ParticipantContract[]): ReadonlyMap<number, CommandPosition> {
  // Asked for every fact, command and reply of a run: worked out once per run and participant list.
  const byParticipants = computed.get(run) ?? new WeakMap();
  computed.set(run, byParticipants);
  const known = byParticipants.get(participants);
  if (known) return known;
  const replied = computeRepliedCommands(run, participants);
  byParticipants.set(participants, replied);
  return replied;
}

const computed = new WeakMap<MachineRun, WeakMap<readonly ParticipantContract[], ReadonlyMap<number, CommandPosition>>>();

function computeRepliedCommands(run: MachineRun, participants: readonly ParticipantContract[]): ReadonlyMap<number, CommandPosition> {
  const meanings = replyMeanings(participants);
  const open: (CommandPosition & { type: string })[] = [];
  const replied = new Map<number, CommandPosition>();
  run.events.forEach((event, step) => {
    // Before step `step` the stream is at version step + 1, whose commit sent run.emitted[step].
    run.emitted[step]!.forEach(({ type }, index) => open.push({ version: step + 1, index, type }));
    const answers = new Set(meanings.get(event.type)?.map((meaning) => meaning.command));
    const at = open.findLastIndex((command) => answers.has(command.type));
    if (at === -1) return;
    const { version, index } = open.splice(at, 1)[0]!;
    replied.set(step, { version, index });
  });
  return replied;
}

/** The step (0-based) of a run that answers the command at `position`; undefined when none does (a deadline or an operator moved the saga on). */
export function answeringStep(run: MachineRun, participants: readonly ParticipantContract[], position: CommandPosition): number | undefined {
  for (const [step, command] of repliedCommands(run, participants)) {
    if (command.version === position.version && command.index === position.index) return step;
  }
  return undefined;
}

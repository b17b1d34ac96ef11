/**
 * What a participant declares about one command it performs: the replies it may answer with.
 * Declared as data so that a saga can be checked against its participants without running them.
 */
export type CommandContract = Readonly<{
  /** Replies saying the effect was performed. */
  done: readonly string[];
  /** Replies saying it was not, transiently or for good. */
  failed: readonly string[];
  /** For a compensation: the command whose effect it undoes. */
  undoes?: string;
  /** What is wrong with a command's data, or undefined: a command that fails it is dead-lettered, never performed. */
  check?: (data: unknown) => string | undefined;
  /**
   * Events after which the command's effect stands for good and is no longer undone: a return
   * label is voided if no parcel comes, but once the parcel is in (`ParcelReceived`), it has served.
   */
  settledBy?: readonly string[];
}>;

/** A participant as the saga checks see it: its name and the commands it performs. */
export type ParticipantContract = Readonly<{ name: string; handles: Readonly<Record<string, CommandContract>> }>;

/** What a reply type means: the command it answers, and whether it reports the effect as done. */
export type ReplyMeaning = Readonly<{ participant: string; command: string; done: boolean; undoes: string | undefined }>;

/** Every reply type the participants may send, with what each means. */
export function replyMeanings(participants: readonly ParticipantContract[]): Map<string, ReplyMeaning[]> {
  const meanings = new Map<string, ReplyMeaning[]>();
  const add = (reply: string, meaning: ReplyMeaning) => meanings.set(reply, [...(meanings.get(reply) ?? []), meaning]);
  for (const participant of participants) {
    for (const [command, contract] of Object.entries(participant.handles)) {
      for (const reply of contract.done) add(reply, { participant: participant.name, command, done: true, undoes: contract.undoes });
      for (const reply of contract.failed) add(reply, { participant: participant.name, command, done: false, undoes: contract.undoes });
    }
  }
  return meanings;
}

/** The participant that performs `command`, if any. */
export function participantFor(participants: readonly ParticipantContract[], command: string): ParticipantContract | undefined {
  return participants.find((participant) => Object.hasOwn(participant.handles, command));
}

/** The compensation that undoes `command`, if any participant declares one. */
export function compensationOf(participants: readonly ParticipantContract[], command: string): string | undefined {
  for (const participant of participants) {
    for (const [name, contract] of Object.entries(participant.handles)) if (contract.undoes === command) return name;
  }
  return undefined;
}

/** The commands each event settles (their effect no longer to be undone), by event type. */
export function settlements(participants: readonly ParticipantContract[]): Map<string, string[]> {
  const settled = new Map<string, string[]>();
  for (const participant of participants) {
    for (const [command, contract] of Object.entries(participant.handles)) {
      for (const event of contract.settledBy ?? []) settled.set(event, [...(settled.get(event) ?? []), command]);
    }
  }
  return settled;
}

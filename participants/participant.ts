import { isoNow, type Clock } from '../runtime/clock.ts';
import { deadLetterOf, type DeadLetter, type DeadLetterReason, type DeadLetterSink } from '../runtime/deadLetter.ts';
import { XsagaError } from '../runtime/errors.ts';
import { isRejectedData } from '../runtime/failures.ts';
import type { IdempotencyGuard } from '../runtime/idempotencyGuard.ts';
import { envelopeProblem, isStorableText, replyTo, type Message } from '../runtime/message.ts';
import { UNDECODABLE, type MessageBus, type Subscription, type UndecodableData } from '../runtime/messageBus.ts';
import { noRuntimeMetrics, type CommandOutcome, type RuntimeMetrics } from '../runtime/runtimeMetrics.ts';
import type { CommandContract } from '../runtime/safety/participantContract.ts';
import { endSpans, startMessageSpan, type MessageSpan } from '../runtime/messageSpan.ts';
import type { SqlClient, SqlQueryable } from '../runtime/sqlClient.ts';

/** A reply as a participant decides it, before it is addressed. */
export type Reply = Readonly<{ type: string; data: unknown }>;

/**
 * What performing a command came to: a final outcome is stored (with the participant's own
 * columns) and replayed to every duplicate; a transient failure is answered but not stored, so a
 * retry performs the effect for real; `silent` answers nothing (a provider that never responds).
 */
export type Performed =
  | Readonly<{ kind: 'final'; reply: Reply; columns?: Readonly<Record<string, string | number | null>> }>
  | Readonly<{ kind: 'transient'; reply: Reply }>
  | Readonly<{ kind: 'silent' }>;

/**
 * A row of a participant's outcome table: a subject's operation, the reply it stored, and the
 * participant's own columns (`amount`, `items`, ...) by name.
 */
export type OutcomeRow = Readonly<{ order_id: string; operation: string; outcome: Reply }> & Readonly<Record<string, unknown>>;

/** Simulated trouble for load tests: a share of commands fail transiently, and each batch takes a while. */
export type Chaos = Readonly<{ failureRate: number; latencyMs: number }>;

export const noChaos: Chaos = { failureRate: 0, latencyMs: 0 };

export type ParticipantSpec = Readonly<{
  name: string;
  commandTopic: string;
  /**
   * The commands it performs and the replies each may get, declared so that `xsaga check` can match
   * the saga's commands and accepted events against its participants without running them.
   */
  handles: Readonly<Record<string, CommandContract>>;
  /** The table whose unique (order_id, operation) rows hold the stored outcomes: the durable guard (`order_id` holds the subject, see `subjectOf`). */
  outcomeTable: string;
  /** The outcome table's own columns besides order_id, operation and outcome, with their SQL types. */
  outcomeColumns: Readonly<Record<string, string>>;
  /**
   * Performs the effects of commands never performed before (one per order and operation), in
   * order, inside the batch's transaction; returns one result per command. `earlier` holds every
   * row the outcome table already had for the batch's subjects, whatever the operation, read in
   * the same transaction: what was done before for these orders, without reading it again.
   */
  perform(tx: SqlQueryable, commands: readonly Message[], earlier: readonly OutcomeRow[]): Promise<Performed[]>;
  /** The reply that says a command failed transiently. */
  transientFailure(command: Message): Reply;
  /**
   * What a command is about: its outcome row's `order_id` and its guard key, so an effect happens
   * at most once per subject and operation. Absent: `data.orderId`. A saga with several instances
   * per order (returns) keys its commands by its own id.
   */
  subjectOf?(command: Message): string;
}>;

export type ParticipantDeps = Readonly<{
  sql: SqlClient;
  bus: MessageBus;
  guard: IdempotencyGuard;
  clock: Clock;
  replyTopic: string;
  chaos?: Chaos;
  random?: () => number;
  guardTtlMs?: number;
  /** Where the commands it cannot perform go; without one, such a command fails its batch and the bus delivers it again. */
  deadLetters?: DeadLetterSink;
  /** Told how each command was answered, once its batch is done. */
  metrics?: Pick<RuntimeMetrics, 'participantCommand'>;
}>;

/** How one command was answered, and what its reply was (none: silent, or dead-lettered). */
type Answer = Readonly<{ reply: Reply | undefined; outcome: CommandOutcome }>;

const OUTCOME_OF: Readonly<Record<Performed['kind'], CommandOutcome>> = { final: 'performed', transient: 'transient', silent: 'silent' };

/** A participant's own code threw on a command (not its database): the command's fault, however often it comes. */
class PerformFailed extends Error {
  readonly failure: unknown;
  constructor(failure: unknown) {
    super(failure instanceof Error ? failure.message : String(failure));
    this.failure = failure;
  }
}

/** The instrumentation scope of the participants' spans. */
export const PARTICIPANT_TRACER = 'xsaga.participant';

export const orderIdOf = (command: Message): string => (command.data as { orderId: string }).orderId;

/** Runs a participant: consumes its command topic, performs each effect at most once, replies on the saga inbox. */
export async function startParticipant(spec: ParticipantSpec, deps: ParticipantDeps & Readonly<{ group: string }>): Promise<Subscription> {
  const handleCommands = createCommandHandler(spec, deps);
  return deps.bus.subscribe({
    group: deps.group,
    topics: [spec.commandTopic],
    maxBatchSize: 500,
    handler: async ({ messages }) => {
      const replies = await handleCommands(messages);
      if (replies.length > 0) {
        await deps.bus.publish(replies.map((reply) => ({ topic: deps.replyTopic, key: reply.metadata.correlationId, message: reply })));
      }
    },
  });
}

/**
 * The at-most-once core of a participant, without the bus: commands in, replies out. A batch costs
 * a fixed number of statements: one read of the outcome rows of its subjects (the stored outcomes,
 * and what `perform` needs to know of earlier operations), the participant's own, one insert.
 * A command it cannot perform (not its own, not of the command's shape, or on which its code or
 * its database's checks fail) is dead-lettered and answered with nothing; the batch is split down
 * to it so that the others are performed. Any other failure keeps nothing of the batch, and the
 * bus delivers it again.
 */
export function createCommandHandler(spec: ParticipantSpec, deps: ParticipantDeps): (commands: readonly Message[]) => Promise<Message[]> {
  const chaos = deps.chaos ?? noChaos;
  const random = deps.random ?? Math.random;
  const ttlMs = deps.guardTtlMs ?? 24 * 3600 * 1000;
  const metrics = deps.metrics ?? noRuntimeMetrics;
  const subjectOf = spec.subjectOf ?? orderIdOf;
  const operationKey = (command: Message): string => `${subjectOf(command)}\u0000${command.type}`;
  const guardKey = (command: Message) => `${spec.name}:${subjectOf(command)}:${command.type}`;
  const extraColumns = Object.entries(spec.outcomeColumns);
  const letterOptions = { consumer: spec.name, topic: deps.deadLetters?.topic ?? '', markApplied: false, now: () => isoNow(deps.clock) };
  const letterOf = (command: unknown, reason: DeadLetterReason, error: unknown) => deadLetterOf({ message: command, reason, error, attempts: 1 }, letterOptions);

  function problemOf(command: Message): [DeadLetterReason, unknown] | undefined {
    if (command?.type === UNDECODABLE && envelopeProblem(command) === undefined) return ['UNDECODABLE', (command.data as UndecodableData).error];
    const envelope = envelopeProblem(command);
    if (envelope !== undefined) return ['MALFORMED', envelope];
    const contract = Object.hasOwn(spec.handles, command.type) ? spec.handles[command.type] : undefined;
    if (!contract) return ['UNEXPECTED_COMMAND', `${spec.name} performs no ${command.type}`];
    const subject = typeof command.data === 'object' && command.data !== null ? (subjectOf(command) as unknown) : undefined;
    if (typeof subject !== 'string' || subject === '' || !isStorableText(subject)) {
      return ['SCHEMA_VIOLATION', `${command.type}: its subject (data.orderId, or the id its participant keys it by) must be a non-empty string`];
    }
    const problem = contract.check?.(command.data);
    return problem === undefined ? undefined : ['SCHEMA_VIOLATION', `${command.type}: ${problem}`];
  }

  /** Every outcome row of the batch's subjects: those of its own operations are its stored outcomes. */
  async function outcomeRows(tx: SqlQueryable, commands: readonly Message[]): Promise<OutcomeRow[]> {
    const columns = ['order_id', 'operation', 'outcome', ...extraColumns.map(([name]) => name)];
    const result = await tx.query<OutcomeRow>(`select ${columns.join(', ')} from ${spec.outcomeTable} where order_id = any($1::text[])`, [[...new Set(commands.map(subjectOf))]]);
    return result.rows;
  }

  async function storeOutcomes(tx: SqlQueryable, finals: readonly { command: Message; performed: Performed & { kind: 'final' } }[]): Promise<void> {
    if (finals.length === 0) return;
    const names = ['order_id', 'operation', 'outcome', ...extraColumns.map(([name]) => name)];
    const casts = ['text', 'text', 'text', ...extraColumns.map(([, type]) => type)];
    const select = names.map((name, i) => (name === 'outcome' ? `c${i}::jsonb` : `c${i}`)).join(', ');
    const params = [
      finals.map((f) => subjectOf(f.command)),
      finals.map((f) => f.command.type),
      finals.map((f) => JSON.stringify(f.performed.reply)),
      ...extraColumns.map(([name]) => finals.map((f) => f.performed.columns?.[name] ?? null)),
    ];
    // A concurrent duplicate loses on the unique key: its transaction rolls back and its batch comes again.
    await tx.query(
      `insert into ${spec.outcomeTable} (${names.join(', ')})
       select ${select} from unnest(${casts.map((type, i) => `$${i + 1}::${type}[]`).join(', ')}) as u(${names.map((_, i) => `c${i}`).join(', ')})`,
      params,
    );
  }

  /** The participant's `perform`, with what its own code throws told apart from what its database does. */
  async function perform(tx: SqlQueryable, commands: readonly Message[], earlier: readonly OutcomeRow[]): Promise<Performed[]> {
    const fromStore = new WeakSet<object>();
    const tracked: SqlQueryable = {
      query: <TRow>(text: string, params?: readonly unknown[]) =>
        tx.query<TRow>(text, params).catch((error: unknown) => {
          if (typeof error === 'object' && error !== null) fromStore.add(error);
          throw error;
        }),
    };
    try {
      return await spec.perform(tracked, commands, earlier);
    } catch (error) {
      if (typeof error === 'object' && error !== null && fromStore.has(error)) throw error;
      throw new PerformFailed(error);
    }
  }

  /** Performs the commands never performed before in one transaction; what each is answered with. */
  async function performBatch(commands: readonly Message[]): Promise<Map<Message, Answer>> {
    const finals: { command: Message; performed: Performed & { kind: 'final' } }[] = [];
    const results = await deps.sql.transaction(async (tx) => {
      const earlier = await outcomeRows(tx, commands);
      const stored = new Map(earlier.map((row) => [`${row.order_id}\u0000${row.operation}`, row.outcome]));
      const fresh = new Map<string, Message>();
      for (const command of commands) if (!stored.has(operationKey(command)) && !fresh.has(operationKey(command))) fresh.set(operationKey(command), command);
      const performed = await perform(tx, [...fresh.values()], earlier);
      const byKey = new Map<string, Performed>([...stored].map(([key, reply]) => [key, { kind: 'final', reply }]));
      [...fresh.values()].forEach((command, i) => {
        const result = performed[i]!;
        byKey.set(operationKey(command), result);
        if (result.kind === 'final') finals.push({ command, performed: result });
      });
      await storeOutcomes(tx, finals);
      return { byKey, fresh };
    });
    await Promise.all(finals.map((f) => deps.guard.remember(guardKey(f.command), JSON.stringify(f.performed.reply), ttlMs)));
    const answers = new Map<Message, Answer>();
    for (const command of commands) {
      const result = results.byKey.get(operationKey(command))!;
      // Only the first command of an operation was performed; a stored outcome or a second copy is a duplicate.
      const outcome = results.fresh.get(operationKey(command)) === command ? OUTCOME_OF[result.kind] : 'duplicate';
      answers.set(command, { reply: result.kind === 'silent' ? undefined : result.reply, outcome });
    }
    return answers;
  }

  /** `performBatch`, split in halves down to the command at fault when one brings what the code or the database refuses. */
  async function performIsolating(commands: readonly Message[], refused: DeadLetter[]): Promise<Map<Message, Answer>> {
    try {
      return await performBatch(commands);
    } catch (error) {
      if (!(error instanceof PerformFailed) && !isRejectedData(error)) throw error;
      if (commands.length === 1) {
        refused.push(error instanceof PerformFailed ? letterOf(commands[0], 'HANDLER_FAILED', error.failure) : letterOf(commands[0], 'STORE_REJECTED', error));
        return new Map();
      }
      const half = Math.ceil(commands.length / 2);
      const first = await performIsolating(commands.slice(0, half), refused);
      return new Map([...first, ...(await performIsolating(commands.slice(half), refused))]);
    }
  }

  /** Every command of a handled batch: how it was answered, or dead-lettered when it has no answer. */
  function reportAnswers(batch: readonly Message[], answers: ReadonlyMap<Message, Answer>): void {
    for (const command of batch) {
      const answer = answers.get(command);
      const type = typeof command?.type === 'string' && Object.hasOwn(spec.handles, command.type) ? command.type : 'other';
      metrics.participantCommand({ participant: spec.name, command: type, outcome: answer?.outcome ?? 'dead_lettered', reply: answer?.reply?.type ?? '' });
    }
  }

  /** What each command is answered with, and how (nothing: a silent provider, or a command dead-lettered meanwhile). */
  async function answer(commands: readonly Message[], letters: DeadLetter[]): Promise<Map<Message, Answer>> {
    const answers = new Map<Message, Answer>();
    const remembered = await Promise.all(commands.map((command) => deps.guard.recall(guardKey(command))));
    const toPerform: Message[] = [];
    commands.forEach((command, i) => {
      const outcome = remembered[i];
      if (outcome !== undefined) answers.set(command, { reply: JSON.parse(outcome) as Reply, outcome: 'duplicate' });
      else if (chaos.failureRate > 0 && random() < chaos.failureRate) answers.set(command, { reply: spec.transientFailure(command), outcome: 'transient' });
      else toPerform.push(command);
    });
    if (chaos.latencyMs > 0 && toPerform.length > 0) await new Promise((resolve) => setTimeout(resolve, chaos.latencyMs));
    if (toPerform.length > 0) for (const [command, reply] of await performIsolating(toPerform, letters)) answers.set(command, reply);

    if (letters.length > 0) {
      if (!deps.deadLetters) throw new XsagaError('CONFIG', `${spec.name} cannot perform ${letters.length} command(s) and has nowhere to put them: ${letters[0]!.error}`);
      await deps.deadLetters.record([...new Map(letters.map((letter) => [letter.id, letter])).values()]);
    }
    return answers;
  }

  return async (batch) => {
    const letters: DeadLetter[] = [];
    const commands: Message[] = [];
    for (const command of batch) {
      const problem = problemOf(command);
      if (problem) letters.push(letterOf(command, ...problem));
      else commands.push(command);
    }
    // One span per command, in the trace of the transition that emitted it; its reply carries the span on.
    const spans = new Map<Message, MessageSpan>(
      commands.map((command) => [command, startMessageSpan(PARTICIPANT_TRACER, `${spec.name} ${command.type}`, command, { 'xsaga.participant': spec.name, 'xsaga.command.type': command.type })]),
    );
    try {
      const answers = await answer(commands, letters);
      reportAnswers(batch, answers);
      for (const [command, { reply }] of answers) if (reply) spans.get(command)!.span.setAttribute('xsaga.reply.type', reply.type);
      endSpans([...spans.values()].map((s) => s.span));
      const now = isoNow(deps.clock);
      return commands.flatMap((command) => {
        const reply = answers.get(command)?.reply;
        return reply ? [replyTo(command, reply.type, reply.data, now, spans.get(command)!.trace)] : [];
      });
    } catch (error) {
      endSpans([...spans.values()].map((s) => s.span), error);
      throw error;
    }
  };
}

/** A final outcome, with the participant's own columns for its row. */
export const final = (reply: Reply, columns?: Record<string, string | number | null>): Performed => ({ kind: 'final', reply, columns });

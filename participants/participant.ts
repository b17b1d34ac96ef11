import { isoNow, type Clock } from '../runtime/clock.ts';
import type { IdempotencyGuard } from '../runtime/idempotencyGuard.ts';
import { replyTo, type Message } from '../runtime/message.ts';
import type { MessageBus, Subscription } from '../runtime/messageBus.ts';
import type { CommandContract } from '../runtime/safety/participantContract.ts';
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
  /** The table whose unique (order_id, operation) rows hold the stored outcomes: the durable guard. */
  outcomeTable: string;
  /** The outcome table's own columns besides order_id, operation and outcome, with their SQL types. */
  outcomeColumns: Readonly<Record<string, string>>;
  /**
   * Performs the effects of commands never performed before (one per order and operation), in
   * order, inside the batch's transaction; returns one result per command.
   */
  perform(tx: SqlQueryable, commands: readonly Message[]): Promise<Performed[]>;
  /** The reply that says a command failed transiently. */
  transientFailure(command: Message): Reply;
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
}>;

export const orderIdOf = (command: Message): string => (command.data as { orderId: string }).orderId;
const operationKey = (command: Message): string => `${orderIdOf(command)}\u0000${command.type}`;

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
 * a fixed number of statements: one read of stored outcomes, the participant's own, one insert.
 * If anything fails, nothing of the batch is kept and the bus delivers it again.
 */
export function createCommandHandler(spec: ParticipantSpec, deps: ParticipantDeps): (commands: readonly Message[]) => Promise<Message[]> {
  const chaos = deps.chaos ?? noChaos;
  const random = deps.random ?? Math.random;
  const ttlMs = deps.guardTtlMs ?? 24 * 3600 * 1000;
  const guardKey = (command: Message) => `${spec.name}:${orderIdOf(command)}:${command.type}`;
  const extraColumns = Object.entries(spec.outcomeColumns);

  async function storedOutcomes(tx: SqlQueryable, commands: readonly Message[]): Promise<Map<string, Reply>> {
    const stored = await tx.query<{ order_id: string; operation: string; outcome: Reply }>(
      `select t.order_id, t.operation, t.outcome from ${spec.outcomeTable} t
         join unnest($1::text[], $2::text[]) as k(order_id, operation) on t.order_id = k.order_id and t.operation = k.operation`,
      [commands.map(orderIdOf), commands.map((c) => c.type)],
    );
    return new Map(stored.rows.map((row) => [`${row.order_id}\u0000${row.operation}`, row.outcome]));
  }

  async function storeOutcomes(tx: SqlQueryable, finals: readonly { command: Message; performed: Performed & { kind: 'final' } }[]): Promise<void> {
    if (finals.length === 0) return;
    const names = ['order_id', 'operation', 'outcome', ...extraColumns.map(([name]) => name)];
    const casts = ['text', 'text', 'text', ...extraColumns.map(([, type]) => type)];
    const select = names.map((name, i) => (name === 'outcome' ? `c${i}::jsonb` : `c${i}`)).join(', ');
    const params = [
      finals.map((f) => orderIdOf(f.command)),
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

  return async (commands) => {
    const answers = new Map<Message, Reply | undefined>();
    const remembered = await Promise.all(commands.map((command) => deps.guard.recall(guardKey(command))));
    const toPerform: Message[] = [];
    commands.forEach((command, i) => {
      const outcome = remembered[i];
      if (outcome !== undefined) answers.set(command, JSON.parse(outcome) as Reply);
      else if (chaos.failureRate > 0 && random() < chaos.failureRate) answers.set(command, spec.transientFailure(command));
      else toPerform.push(command);
    });
    if (chaos.latencyMs > 0 && toPerform.length > 0) await new Promise((resolve) => setTimeout(resolve, chaos.latencyMs));

    const finals: { command: Message; performed: Performed & { kind: 'final' } }[] = [];
    if (toPerform.length > 0) {
      const results = await deps.sql.transaction(async (tx) => {
        const stored = await storedOutcomes(tx, toPerform);
        const fresh = new Map<string, Message>();
        for (const command of toPerform) if (!stored.has(operationKey(command)) && !fresh.has(operationKey(command))) fresh.set(operationKey(command), command);
        const performed = await spec.perform(tx, [...fresh.values()]);
        const byKey = new Map<string, Performed>([...stored].map(([key, reply]) => [key, { kind: 'final', reply }]));
        [...fresh.values()].forEach((command, i) => {
          const result = performed[i]!;
          byKey.set(operationKey(command), result);
          if (result.kind === 'final') finals.push({ command, performed: result });
        });
        await storeOutcomes(tx, finals);
        return byKey;
      });
      for (const command of toPerform) {
        const result = results.get(operationKey(command))!;
        answers.set(command, result.kind === 'silent' ? undefined : result.reply);
      }
      await Promise.all(finals.map((f) => deps.guard.remember(guardKey(f.command), JSON.stringify(f.performed.reply), ttlMs)));
    }
    const now = isoNow(deps.clock);
    return commands.flatMap((command) => {
      const reply = answers.get(command);
      return reply ? [replyTo(command, reply.type, reply.data, now)] : [];
    });
  };
}

/** A final outcome, with the participant's own columns for its row. */
export const final = (reply: Reply, columns?: Record<string, string | number | null>): Performed => ({ kind: 'final', reply, columns });

import type { IdempotencyGuard } from '../runtime/idempotencyGuard.ts';
import { replyTo, type Message } from '../runtime/message.ts';
import type { MessageBus, Subscription } from '../runtime/messageBus.ts';
import type { SqlClient, SqlQueryable } from '../runtime/sqlClient.ts';
import { isoNow, type Clock } from '../runtime/clock.ts';

/** A reply as a participant decides it, before it is addressed. */
export type Reply = Readonly<{ type: string; data: unknown }>;

/**
 * What performing a command came to: a final outcome is stored and replayed to every duplicate;
 * a transient failure is answered but not stored, so a retry performs the effect for real;
 * `silent` answers nothing (a provider that never responds).
 */
export type Performed = Readonly<{ kind: 'final'; reply: Reply }> | Readonly<{ kind: 'transient'; reply: Reply }> | Readonly<{ kind: 'silent' }>;

/** Simulated trouble for load tests: a share of commands fail transiently, and each takes a while. */
export type Chaos = Readonly<{ failureRate: number; latencyMs: number }>;

export const noChaos: Chaos = { failureRate: 0, latencyMs: 0 };

export type ParticipantSpec = Readonly<{
  name: string;
  commandTopic: string;
  /** The table whose (order_id, operation) rows hold the stored outcomes. */
  outcomeTable: string;
  /** Performs the command's effect in `tx`, storing a final outcome row itself. */
  perform(tx: SqlQueryable, command: Message): Promise<Performed>;
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

const orderIdOf = (command: Message): string => (command.data as { orderId: string }).orderId;

/** Runs a participant: consumes its command topic, performs each effect at most once, replies on the saga inbox. */
export async function startParticipant(spec: ParticipantSpec, deps: ParticipantDeps): Promise<Subscription> {
  const handleCommands = createCommandHandler(spec, deps);
  return deps.bus.subscribe({
    group: `xsaga-${spec.name}`,
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
 * The at-most-once core of a participant, without the bus: commands in, replies out. The effects of
 * a whole batch share one transaction; if any of them fails, none is kept and the batch is retried.
 */
export function createCommandHandler(spec: ParticipantSpec, deps: ParticipantDeps): (commands: readonly Message[]) => Promise<Message[]> {
  const chaos = deps.chaos ?? noChaos;
  const random = deps.random ?? Math.random;
  const ttlMs = deps.guardTtlMs ?? 24 * 3600 * 1000;
  const answer = (command: Message, reply: Reply): Message => replyTo(command, reply.type, reply.data, isoNow(deps.clock));
  const keyOf = (command: Message) => `${spec.name}:${orderIdOf(command)}:${command.type}`;

  return async (commands) => {
    const replies = new Map<Message, Message | undefined>();
    const toPerform: Message[] = [];
    for (const command of commands) {
      const remembered = await deps.guard.recall(keyOf(command));
      if (remembered !== undefined) replies.set(command, answer(command, JSON.parse(remembered) as Reply));
      else if (chaos.failureRate > 0 && random() < chaos.failureRate) replies.set(command, answer(command, spec.transientFailure(command)));
      else toPerform.push(command);
    }
    if (chaos.latencyMs > 0 && toPerform.length > 0) await new Promise((resolve) => setTimeout(resolve, chaos.latencyMs));

    const performed = toPerform.length === 0 ? [] : await deps.sql.transaction(async (tx) => {
      const results: Performed[] = [];
      for (const command of toPerform) {
        const stored = await tx.query<{ outcome: Reply }>(`select outcome from ${spec.outcomeTable} where order_id = $1 and operation = $2`, [
          orderIdOf(command),
          command.type,
        ]);
        results.push(stored.rows[0] ? { kind: 'final', reply: stored.rows[0].outcome } : await spec.perform(tx, command));
      }
      return results;
    });
    for (const [i, command] of toPerform.entries()) {
      const result = performed[i]!;
      if (result.kind === 'silent') continue;
      if (result.kind === 'final') await deps.guard.remember(keyOf(command), JSON.stringify(result.reply), ttlMs);
      replies.set(command, answer(command, result.reply));
    }
    return commands.map((command) => replies.get(command)).filter((reply): reply is Message => reply !== undefined);
  };
}

/** Stores the final outcome row; a concurrent duplicate loses on the unique key and its transaction rolls back. */
export async function storeOutcome(tx: SqlQueryable, table: string, columns: Record<string, unknown>, reply: Reply): Promise<Performed> {
  const names = [...Object.keys(columns), 'outcome'];
  const values = [...Object.values(columns), JSON.stringify(reply)];
  const placeholders = names.map((name, i) => (name === 'outcome' || name === 'items' ? `$${i + 1}::jsonb` : `$${i + 1}`));
  await tx.query(`insert into ${table} (${names.join(', ')}) values (${placeholders.join(', ')})`, values);
  return { kind: 'final', reply };
}

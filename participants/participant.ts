import type { IdempotencyGuard } from '../runtime/idempotencyGuard.ts';
import { replyTo, type Envelope, type Message } from '../runtime/message.ts';
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
  const handleCommand = createCommandHandler(spec, deps);
  return deps.bus.subscribe({
    group: `xsaga-${spec.name}`,
    topics: [spec.commandTopic],
    maxBatchSize: 500,
    handler: async ({ messages }) => {
      const replies: Envelope[] = [];
      for (const command of messages) {
        const reply = await handleCommand(command);
        if (reply) replies.push({ topic: deps.replyTopic, key: command.metadata.correlationId, message: reply });
      }
      if (replies.length > 0) await deps.bus.publish(replies);
    },
  });
}

/** The at-most-once core of a participant, without the bus: one command in, its reply (if any) out. */
export function createCommandHandler(spec: ParticipantSpec, deps: ParticipantDeps): (command: Message) => Promise<Message | undefined> {
  const chaos = deps.chaos ?? noChaos;
  const random = deps.random ?? Math.random;
  const ttlMs = deps.guardTtlMs ?? 24 * 3600 * 1000;
  const answer = (command: Message, reply: Reply): Message => replyTo(command, reply.type, reply.data, isoNow(deps.clock));

  return async (command) => {
    const key = `${spec.name}:${orderIdOf(command)}:${command.type}`;
    const remembered = await deps.guard.recall(key);
    if (remembered !== undefined) return answer(command, JSON.parse(remembered) as Reply);

    if (chaos.latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, chaos.latencyMs));
    if (chaos.failureRate > 0 && random() < chaos.failureRate) return answer(command, spec.transientFailure(command));

    const performed = await deps.sql.transaction(async (tx): Promise<Performed> => {
      const stored = await tx.query<{ outcome: Reply }>(`select outcome from ${spec.outcomeTable} where order_id = $1 and operation = $2`, [
        orderIdOf(command),
        command.type,
      ]);
      if (stored.rows[0]) return { kind: 'final', reply: stored.rows[0].outcome };
      return spec.perform(tx, command);
    });
    if (performed.kind === 'silent') return undefined;
    if (performed.kind === 'final') await deps.guard.remember(key, JSON.stringify(performed.reply), ttlMs);
    return answer(command, performed.reply);
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

import { migrate } from '../runtime/migrate.ts';
import type { SqlClient } from '../runtime/sqlClient.ts';

/**
 * The participants' own tables. Each operation row has a unique (order_id, operation) key: the
 * durable guarantee that an effect happens at most once, whatever the bus redelivers.
 */
const statements = [
  `create table if not exists payment_ledger (
     order_id text not null,
     operation text not null,
     amount bigint not null,
     outcome jsonb not null,
     created_at timestamptz not null default now(),
     primary key (order_id, operation))`,
  `create table if not exists inventory_stock (
     sku text primary key,
     initial integer not null,
     available integer not null check (available >= 0))`,
  `create table if not exists inventory_reservations (
     order_id text not null,
     operation text not null,
     items jsonb not null,
     outcome jsonb not null,
     created_at timestamptz not null default now(),
     primary key (order_id, operation))`,
  `create table if not exists shipping_shipments (
     order_id text not null,
     operation text not null,
     shipment_id text,
     outcome jsonb not null,
     created_at timestamptz not null default now(),
     primary key (order_id, operation))`,
];

export async function migrateParticipants(sql: SqlClient): Promise<void> {
  await migrate(sql, 7_100_002, statements);
}

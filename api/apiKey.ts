import { createHash } from 'node:crypto';

/** `viewer` reads (dashboard, machines, stats, search, history, admin lists); `operator` also acts. */
export const API_ROLES = ['viewer', 'operator'] as const;
export type ApiRole = (typeof API_ROLES)[number];

/**
 * One configured API key. Only the SHA-256 of the key is kept: a configuration, a log or a heap
 * dump that leaks it does not leak the key.
 */
export type ApiKey = Readonly<{ name: string; role: ApiRole; sha256: string }>;

/**
 * The hash an API key is configured by: lower-case hex SHA-256 of its UTF-8 bytes, what
 * `printf %s "$KEY" | sha256sum` prints.
 *
 * @example
 * const entry = `ci:viewer:${apiKeyHash(key)}`; // an XSAGA_API_KEYS entry
 */
export function apiKeyHash(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

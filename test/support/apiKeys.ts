import { randomBytes } from 'node:crypto';
import { apiKeyHash, type ApiRole } from '../../api/apiKey.ts';

/** A fresh API key of `role`: the key a client sends, and the entry that configures it. */
export type TestApiKey = Readonly<{
  name: string;
  role: ApiRole;
  key: string;
  /** `name:role:sha256hex`, an `XSAGA_API_KEYS` entry or a line of `XSAGA_API_KEYS_FILE`. */
  entry: string;
  /** The header that sends it. */
  headers: Readonly<{ authorization: string }>;
}>;

/**
 * @example
 * const viewer = testApiKey('viewer');
 * const system = await startEmbedded(apiKeysEnv(viewer));
 * await fetch(`${url}/stats/orders`, { headers: viewer.headers });
 */
export function testApiKey(role: ApiRole, name = `test-${role}-${randomBytes(3).toString('hex')}`): TestApiKey {
  const key = randomBytes(32).toString('base64url');
  return { name, role, key, entry: `${name}:${role}:${apiKeyHash(key)}`, headers: { authorization: `Bearer ${key}` } };
}

/** The environment that configures `keys`. */
export function apiKeysEnv(...keys: readonly TestApiKey[]): { XSAGA_API_KEYS: string } {
  return { XSAGA_API_KEYS: keys.map((key) => key.entry).join(',') };
}

import { randomBytes } from 'node:crypto';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { apiKeyHash, type ApiKey } from '../api/apiKey.ts';
import { XsagaError } from '../runtime/errors.ts';

/** The operator key of an embedded system started without configured keys. */
export type OperatorKey = Readonly<{
  entry: ApiKey;
  key: string;
  /** Where the key is kept; undefined with `XSAGA_DATA_DIR=:memory:` (a new key each process). */
  file?: string;
  created: boolean;
  /** The file can be read by other users of the machine. */
  exposed: boolean;
}>;

const FILE_NAME = 'operator.key';
const newKey = (): string => randomBytes(32).toString('base64url');
const entryOf = (key: string): ApiKey => ({ name: 'operator', role: 'operator', sha256: apiKeyHash(key) });
const shellQuoted = (path: string): string => (/^[\w./-]+$/.test(path) ? path : `'${path.replaceAll("'", `'\\''`)}'`);

/**
 * The embedded default has no open door: with no keys configured, `xsaga start` makes an operator
 * key on its first start, in `<dataDir>/operator.key` (mode 0600), and reuses it on later starts.
 *
 * @example
 * const operator = await ensureOperatorKey(config.dataDir);
 * startSystem({ config: { ...config, apiKeys: [operator.entry] }, … });
 */
export async function ensureOperatorKey(dataDir: string): Promise<OperatorKey> {
  if (dataDir === ':memory:') {
    const key = newKey();
    return { entry: entryOf(key), key, created: true, exposed: false };
  }
  const file = resolve(join(dataDir, FILE_NAME));
  await mkdir(dataDir, { recursive: true });
  const key = newKey();
  try {
    // `wx`: two processes starting at once cannot both create it; the one that loses reads it.
    await writeFile(file, `${key}\n`, { flag: 'wx', mode: 0o600 });
    return { entry: entryOf(key), key, file, created: true, exposed: false };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
  }
  const stored = (await readFile(file, 'utf8')).trim();
  if (!/^[\x21-\x7e]{16,}$/.test(stored)) {
    throw new XsagaError('CONFIG', `${file} holds no usable key (16 or more printable characters); delete it and start again to make a new one`);
  }
  const exposed = ((await stat(file)).mode & 0o077) !== 0;
  return { entry: entryOf(stored), key: stored, file, created: false, exposed };
}

/** What `xsaga start` prints about the key: where it is and how to use it; the key itself only when it lives nowhere else. */
export function describeOperatorKey(operator: OperatorKey, url: string): string {
  const example = (bearer: string) => `curl -H "Authorization: Bearer ${bearer}" ${url}/stats/orders`;
  if (!operator.file) {
    return `xsaga operator key for this process only (XSAGA_DATA_DIR=:memory:): ${operator.key}\n  e.g. ${example(operator.key)}`;
  }
  const lines = [
    `xsaga operator key ${operator.created ? 'created in' : 'in'} ${operator.file} (set XSAGA_API_KEYS to use your own keys)`,
    `  e.g. ${example(`$(cat ${shellQuoted(operator.file)})`)}; the dashboard asks for it at ${url}/ui/`,
  ];
  if (operator.exposed) lines.push(`  warning: other users can read ${operator.file}: chmod 600 it`);
  return lines.join('\n');
}

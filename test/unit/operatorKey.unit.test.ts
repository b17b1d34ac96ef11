import { chmod, readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { apiKeyHash } from '../../api/apiKey.ts';
import { describeOperatorKey, ensureOperatorKey } from '../../app/operatorKey.ts';
import { tempDataDir } from '../support/embeddedSystem.ts';

describe('the operator key of the embedded default', () => {
  it('is made on the first start in <dataDir>/operator.key, readable by its owner only, and reused later', async () => {
    const data = await tempDataDir();
    try {
      const dataDir = join(data.dir, 'not-yet-there');
      const first = await ensureOperatorKey(dataDir);
      const file = join(dataDir, 'operator.key');
      expect(first).toMatchObject({ file, created: true, exposed: false, entry: { name: 'operator', role: 'operator' } });
      expect(first.key).toMatch(/^[A-Za-z0-9_-]{43}$/);
      expect(first.entry.sha256).toBe(apiKeyHash(first.key));
      expect((await readFile(file, 'utf8')).trim()).toBe(first.key);
      expect((await stat(file)).mode & 0o777).toBe(0o600);

      const again = await ensureOperatorKey(dataDir);
      expect(again).toEqual({ ...first, created: false });

      await chmod(file, 0o644);
      expect((await ensureOperatorKey(dataDir)).exposed).toBe(true);
      await writeFile(file, '\n');
      await expect(ensureOperatorKey(dataDir)).rejects.toThrow(/operator\.key holds no usable key.*delete it/);
    } finally {
      await data.remove();
    }
  });

  it('is new in every process with XSAGA_DATA_DIR=:memory:, and kept nowhere', async () => {
    const [a, b] = [await ensureOperatorKey(':memory:'), await ensureOperatorKey(':memory:')];
    expect(a.file).toBeUndefined();
    expect(a.key).not.toBe(b.key);
  });

  it('is printed as where it is and how to use it; the key itself only when it is kept nowhere', async () => {
    const data = await tempDataDir();
    try {
      const kept = await ensureOperatorKey(data.dir);
      const printed = describeOperatorKey(kept, 'http://127.0.0.1:3000');
      expect(printed).toContain(`created in ${kept.file}`);
      expect(printed).toContain(`curl -H "Authorization: Bearer $(cat ${kept.file})" http://127.0.0.1:3000/stats/orders`);
      expect(printed).not.toContain(kept.key);
    } finally {
      await data.remove();
    }
    const memory = await ensureOperatorKey(':memory:');
    expect(describeOperatorKey(memory, 'http://127.0.0.1:3000')).toContain(`curl -H "Authorization: Bearer ${memory.key}"`);
  });
});

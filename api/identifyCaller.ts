import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler, Response } from 'express';
import type { ApiKey, ApiRole } from './apiKey.ts';

/** Who sent a request, as far as its key says; `refused` when it sent a key that is not configured. */
export type Caller = Readonly<{ name: string; role: ApiRole }> | 'anonymous' | 'refused';

const CALLER = 'xsagaCaller';
const BEARER = /^Bearer +([\x21-\x7e]+) *$/i;

/** The caller `identifyCaller` found; `anonymous` when it did not run. */
export function callerOf(res: Response): Caller {
  return (res.locals[CALLER] as Caller | undefined) ?? 'anonymous';
}

/**
 * Reads `Authorization: Bearer <key>` and records who is calling; it refuses nothing itself, so
 * that open routes stay open: `requireRole` guards the others. The key is hashed and compared with
 * every configured hash in constant time, and is never logged nor kept.
 *
 * @example
 * app.use(identifyCaller(config.apiKeys));
 * app.get('/stats/orders', requireRole('viewer'), statsHandler);
 */
export function identifyCaller(keys: readonly ApiKey[]): RequestHandler {
  const hashes = keys.map((key) => ({ key, hash: Buffer.from(key.sha256, 'hex') }));
  return (req, res, next) => {
    const header = req.get('authorization');
    if (header !== undefined) {
      const presented = BEARER.exec(header)?.[1];
      const hash = createHash('sha256')
        .update(presented ?? '', 'utf8')
        .digest();
      // Every stored hash is compared, so the time taken says nothing about which one matched.
      let found: ApiKey | undefined;
      for (const stored of hashes) if (timingSafeEqual(hash, stored.hash) && presented !== undefined) found = stored.key;
      res.locals[CALLER] = found ? { name: found.name, role: found.role } : 'refused';
    }
    next();
  };
}

import type { RequestHandler } from 'express';
import type { ApiRole } from './apiKey.ts';
import { callerOf } from './identifyCaller.ts';
import { sendProblem } from './problem.ts';

const RANK: Record<ApiRole, number> = { viewer: 1, operator: 2 };
const withArticle = (role: ApiRole): string => `${role === 'operator' ? 'an' : 'a'} ${role}`;

/**
 * Lets a request through when `identifyCaller` found a key of `role` or above (an operator may do
 * what a viewer may); otherwise answers 401 (no key, or one that is not configured) or 403 (a key
 * whose role is too low) as problem+json, before any handler runs.
 *
 * @example
 * router.post('/admin/replays', requireRole('operator'), startReplay);
 */
export function requireRole(role: ApiRole): RequestHandler {
  return (req, res, next) => {
    const caller = callerOf(res);
    const instance = req.originalUrl;
    // Under a mount point (`app.use('/stats', …)`) `req.path` is what follows it.
    const path = `${req.baseUrl}${req.path}`;
    if (caller === 'anonymous' || caller === 'refused') {
      // RFC 6750: a challenge on every 401; `invalid_token` when a key was sent and refused.
      res.set('WWW-Authenticate', caller === 'refused' ? 'Bearer realm="xsaga", error="invalid_token"' : 'Bearer realm="xsaga"');
      const detail = caller === 'refused' ? 'The API key is not valid.' : `${req.method} ${path} needs an API key: send Authorization: Bearer <key>.`;
      sendProblem(res, { status: 401, detail, instance });
      return;
    }
    if (RANK[caller.role] < RANK[role]) {
      sendProblem(res, { status: 403, detail: `${req.method} ${path} needs ${withArticle(role)} key; key "${caller.name}" is ${withArticle(caller.role)} key.`, instance });
      return;
    }
    next();
  };
}

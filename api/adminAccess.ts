import type { RequestHandler } from 'express';
import { requireRole } from './requireRole.ts';

/**
 * The guard of the `/admin` prefix: reading (GET, HEAD) needs a viewer key, every other method an
 * operator key. `createApi` runs it before any admin route, and before a path nobody serves
 * answers 404; routes come in as `ApiDeps.admin`, with paths relative to `/admin`.
 *
 * @example
 * const admin = Router();
 * admin.get('/timers', listTimers);          // viewer and operator
 * admin.post('/timers/:id/fire', fireTimer); // operator only
 * createApi({ ...deps, admin });
 */
export function adminAccess(): RequestHandler {
  const read = requireRole('viewer');
  const act = requireRole('operator');
  return (req, res, next) => (req.method === 'GET' || req.method === 'HEAD' ? read : act)(req, res, next);
}

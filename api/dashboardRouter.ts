import { fileURLToPath } from 'node:url';
import express, { Router } from 'express';

/** Where the page's files live: plain HTML, CSS and browser modules, served as they are. */
const UI_DIR = fileURLToPath(new URL('./ui/', import.meta.url));

/**
 * The built-in dashboard at `/ui/`. The page loads nothing from outside this server: the policy
 * below makes the browser refuse it, so the page works on a machine without internet.
 */
export function dashboardRouter(): Router {
  const router = Router();
  router.get('/', (_req, res) => res.redirect(302, '/ui/'));
  router.use(
    '/ui',
    (_req, res, next) => {
      res.set('Content-Security-Policy', "default-src 'self'; img-src 'self' data:; frame-ancestors 'none'; base-uri 'none'; form-action 'none'");
      res.set('X-Content-Type-Options', 'nosniff');
      next();
    },
    express.static(UI_DIR, { index: 'index.html', fallthrough: true, maxAge: 0 }),
  );
  return router;
}

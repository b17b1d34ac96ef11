import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import express, { Router } from 'express';
import { z } from 'zod';
import type { RouteContract } from './routeContract.ts';
import { staticPageRoutes } from './staticPageRoutes.ts';

/** Our page: the HTML and the few lines that start Swagger UI on `/openapi.json`. */
const PAGE_DIR = fileURLToPath(new URL('./page/', import.meta.url));
/**
 * Swagger UI's files from its npm package, served from here: the page needs no CDN. Found by its
 * package.json, not by loading the package: its entry loads the whole UI bundle into every process.
 */
const SWAGGER_UI_DIR = dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));
/** Only what the page loads: not the package's own index.html and initializer, which point at a petstore on the internet. */
const SWAGGER_UI_FILES: ReadonlySet<string> = new Set(['swagger-ui.css', 'swagger-ui-bundle.js', 'favicon-32x32.png', 'favicon-16x16.png']);

/** Swagger UI sets styles at run time and draws icons as data: images; nothing may come from another origin. */
const CONTENT_SECURITY_POLICY = "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'";

/**
 * The HTTP contract: the OpenAPI document at `/openapi.json`, and reference docs to browse it at
 * `/docs/`. Both are open: the document shows what every route takes and answers, never data,
 * and the routes it describes guard themselves.
 */
export function docsRouter(document: object): Router {
  const router = Router();
  const body = JSON.stringify(document);
  router.get('/openapi.json', (_req, res) => {
    res.type('application/json').send(body);
  });
  router.use('/docs', (_req, res, next) => {
    res.set('Content-Security-Policy', CONTENT_SECURITY_POLICY);
    res.set('X-Content-Type-Options', 'nosniff');
    next();
  });
  router.use('/docs', express.static(PAGE_DIR, { index: 'index.html', fallthrough: true, maxAge: 0 }));
  router.get('/docs/:file', (req, res, next) => {
    const file = req.params.file;
    if (!SWAGGER_UI_FILES.has(file)) return next();
    res.sendFile(join(SWAGGER_UI_DIR, file), { maxAge: '1h' });
  });
  return router;
}

/** The document and the docs, in the document itself. */
export const docsRoutes: readonly RouteContract[] = [
  {
    method: 'get',
    path: '/openapi.json',
    operationId: 'getOpenApiDocument',
    summary: 'This document: the HTTP contract as OpenAPI 3.1',
    tag: 'Documentation',
    access: 'open',
    responses: { 200: { description: 'The document.', content: { 'application/json': { schema: z.looseObject({ openapi: z.string(), info: z.looseObject({}), paths: z.looseObject({}) }) } } } },
  },
  ...staticPageRoutes({ folder: '/docs', operationId: 'getDocs', summary: 'Reference docs of the HTTP API, to browse this document', tag: 'Documentation' }),
];

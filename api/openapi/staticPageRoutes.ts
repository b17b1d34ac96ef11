import { z } from 'zod';
import { problems, type RouteContract } from './routeContract.ts';

const text = z.string();

/** A static page and its files, as `express.static` serves them: `{folder}/` is the page, `{folder}/{file}` its scripts and styles. */
export function staticPageRoutes(page: Readonly<{ folder: string; operationId: string; summary: string; tag: string }>): RouteContract[] {
  return [
    {
      method: 'get',
      path: `${page.folder}/`,
      operationId: page.operationId,
      summary: page.summary,
      tag: page.tag,
      access: 'open',
      responses: { 200: { description: 'The page; it loads nothing from outside this server.', content: { 'text/html': { schema: text } } } },
    },
    {
      method: 'get',
      path: `${page.folder}/{file}`,
      operationId: `${page.operationId}File`,
      summary: `A script, style or image of the page at ${page.folder}/`,
      tag: page.tag,
      access: 'open',
      request: { params: z.object({ file: z.string().meta({ description: 'A file name, as the page refers to it.' }) }) },
      responses: {
        200: { description: 'The file.', content: { 'text/javascript': { schema: text }, 'text/css': { schema: text }, 'text/html': { schema: text }, 'image/png': { schema: text } } },
        ...problems({ 404: 'No such file.' }),
      },
    },
  ];
}

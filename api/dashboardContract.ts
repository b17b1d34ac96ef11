import { z } from 'zod';
import type { RouteContract } from './openapi/routeContract.ts';
import { staticPageRoutes } from './openapi/staticPageRoutes.ts';

const text = z.string();

/** The built-in dashboard: the page is open, the data it shows needs a key (README "Access"). */
export const dashboardRoutes: readonly RouteContract[] = [
  {
    method: 'get',
    path: '/',
    operationId: 'redirectToDashboard',
    summary: 'Redirects to the dashboard',
    tag: 'Dashboard',
    access: 'open',
    responses: {
      302: {
        description: 'To `/ui/`.',
        headers: z.object({ Location: z.literal('/ui/') }),
        content: { 'text/plain': { schema: text }, 'text/html': { schema: text } },
      },
    },
  },
  ...staticPageRoutes({ folder: '/ui', operationId: 'getDashboard', summary: 'The dashboard', tag: 'Dashboard' }),
];

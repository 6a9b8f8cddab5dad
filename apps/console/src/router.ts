import type { PageFactory } from './app.ts';
import { alertsPage } from './pages/alerts.ts';
import { auditSearchPage } from './pages/audit-search.ts';
import { clientsPage } from './pages/clients.ts';
import { liveFeedPage } from './pages/live-feed.ts';
import { overviewPage } from './pages/overview.ts';
import { routesPage } from './pages/routes.ts';
import { servicesPage } from './pages/services.ts';
import { sessionsPage } from './pages/sessions.ts';
import { usersPage } from './pages/users.ts';

/** The console's pages, in the order the navigation lists them. */
export const PAGES: readonly { readonly id: string; readonly label: string; readonly page: PageFactory }[] = [
  { id: 'overview', label: 'Overview', page: overviewPage },
  { id: 'live', label: 'Live feed', page: liveFeedPage },
  { id: 'alerts', label: 'Alerts', page: alertsPage },
  { id: 'audit', label: 'Audit search', page: auditSearchPage },
  { id: 'users', label: 'Users', page: usersPage },
  { id: 'clients', label: 'Clients', page: clientsPage },
  { id: 'sessions', label: 'Sessions', page: sessionsPage },
  { id: 'services', label: 'Services', page: servicesPage },
  { id: 'routes', label: 'Routes', page: routesPage },
];

/** `#/users?after=x` → the page `users` and its query; `undefined` for a hash that is not a page. */
export function parseRoute(hash: string): { id: string; query: URLSearchParams } | undefined {
  const match = /^#\/([a-z-]*)(?:\?(.*))?$/u.exec(hash);
  if (match === null) return undefined;
  const id = match[1] === '' || match[1] === undefined ? 'overview' : match[1];
  if (!PAGES.some((page) => page.id === id)) return undefined;
  return { id, query: new URLSearchParams(match[2] ?? '') };
}

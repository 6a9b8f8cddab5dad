// A Rampart service that opens a back door beside the SDK.
import { createServer } from 'node:http';
import { runService } from '@rampart/sdk';

await runService(async (svc) => {
  svc.route({ method: 'GET', url: '/orders', handler: async (request) => svc.store.all('SELECT id FROM orders WHERE owner = ?', [request.principal.subject]) });
  svc.route({ method: 'POST', url: '/internal/orders/sync', scopes: [], handler: async () => ({ synced: true }) });
  svc.publicRoute({ method: 'GET', url: '/orders/export', handler: async () => svc.store.all('SELECT * FROM orders') });

  const debug = createServer((_req, res) => {
    res.end('debug');
  });
  debug.listen(9229);
});

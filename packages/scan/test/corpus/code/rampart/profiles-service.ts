// A Rampart service written as the SDK asks: routes named, scopes from rampart.yaml, sensitive fields sealed.
import { randomUUID } from 'node:crypto';
import { runService } from '@rampart/sdk';

await runService(async (svc) => {
  svc.route<{ Body: { phone: string } }>({
    method: 'PUT',
    url: '/profiles/me',
    handler: async (request) => {
      const id = randomUUID();
      const phone = await svc.fields.encrypt(request.body.phone, { table: 'profiles', column: 'phone', row: id });
      await svc.store.run('INSERT INTO profiles (id, owner, phone) VALUES (?, ?, ?)', [id, request.principal.subject, phone]);
      svc.log.info({ profile: id }, 'profile saved');
      return { id };
    },
  });
  svc.route({ method: 'GET', url: '/internal/profiles/count', scopes: ['profiles:count'], handler: async () => svc.store.get('SELECT COUNT(*) AS n FROM profiles') });
});

// A Fastify settings API: prototype pollution through request keys and merges.
import Fastify from 'fastify';
import merge from 'lodash.merge';

const app = Fastify();
const defaults: Record<string, unknown> = { theme: 'light' };
const perUser = new Map<string, Record<string, unknown>>();

app.put<{ Params: { user: string; key: string }; Body: { value: string } }>('/settings/:user/:key', async (request) => {
  const settings = perUser.get(request.params.user) ?? {};
  settings[request.params.key] = request.body.value;
  perUser.set(request.params.user, settings);
  return settings;
});

app.post<{ Body: Record<string, unknown> }>('/settings/import', async (request) => {
  return merge(defaults, request.body);
});

app.post<{ Body: Record<string, unknown> }>('/settings/shallow', async (request) => {
  const target = {};
  Object.assign(target, request.body);
  return target;
});

app.get<{ Querystring: { next?: string } }>('/login/done', async (request, reply) => {
  const next = request.query.next ?? '/';
  return reply.header('Location', next).code(302).send();
});

await app.listen({ port: 3000 });

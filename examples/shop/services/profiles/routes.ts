import { RampartError } from '@rampart/errors';
import { requireUser, type JsonSchema, type Service } from '@rampart/sdk';
import {
  createProfileRepository,
  migrations,
  type ProfileInput,
  type ProfileRepository,
} from './repository.ts';

/**
 * Only these properties are ever serialized back. The request schemas and scopes are rampart.yaml's
 * (the SDK takes them from the route and its policy, and checks requests against them again here).
 */
const profileSchema: JsonSchema = {
  type: 'object',
  properties: {
    name: { type: 'string' },
    email: { type: 'string' },
    phone: { type: 'string' },
    address: { type: 'string' },
    updatedAt: { type: 'string' },
  },
};

export function registerProfileRoutes(svc: Service, profiles: ProfileRepository): void {
  svc.route({
    method: 'GET',
    url: '/profiles/me',
    schema: { response: { 200: profileSchema } },
    handler: async (request) => {
      // A profile is a person's: a client's own token never has one, whatever its scopes.
      requireUser(request.principal);
      const profile = await profiles.find(request.principal.subject);
      if (profile === undefined) throw new RampartError('SDK_NOT_FOUND', { detail: 'no profile yet' });
      return profile;
    },
  });

  svc.route<{ Body: ProfileInput }>({
    method: 'PUT',
    url: '/profiles/me',
    schema: { response: { 200: profileSchema }, maxBodyBytes: 4096 },
    handler: async (request) => {
      requireUser(request.principal);
      return profiles.save(request.principal.subject, request.body);
    },
  });
}

/** Migrates the store and adds the routes: everything `main.ts` and the tests need. */
export async function setupProfiles(svc: Service): Promise<void> {
  await svc.store.migrate(migrations);
  registerProfileRoutes(svc, createProfileRepository(svc.store, svc.fields));
}

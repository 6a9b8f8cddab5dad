import { RampartError } from '@rampart/errors';
import { requireUser, type JsonSchema, type Service } from '@rampart/sdk';
import {
  createProfileRepository,
  migrations,
  type ProfileInput,
  type ProfileRepository,
} from './repository.ts';

/** Same rules as the gateway's route schema in rampart.yaml: checked again here (defense in depth). */
const profileProperties = {
  name: { type: 'string', minLength: 1, maxLength: 200 },
  email: { type: 'string', format: 'email', maxLength: 254 },
  phone: { type: 'string', pattern: '^\\+?[0-9 ()-]{6,20}$' },
  address: { type: 'string', maxLength: 500 },
};

export const profileInputSchema: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  required: ['name', 'email'],
  properties: profileProperties,
};

/** Only these properties are ever serialized back. */
const profileSchema: JsonSchema = {
  type: 'object',
  properties: { ...profileProperties, updatedAt: { type: 'string' } },
};

export function registerProfileRoutes(svc: Service, profiles: ProfileRepository): void {
  svc.route({
    method: 'GET',
    url: '/profiles/me',
    scopes: ['profile:read'],
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
    scopes: ['profile:write'],
    schema: { body: profileInputSchema, response: { 200: profileSchema }, maxBodyBytes: 4096 },
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

import type { RampartConfig } from '@rampart/config';
import { createServiceFixture, type ServiceFixture } from '@rampart/testing';
import { createService, type Service } from '@rampart/sdk';

const widgetBody = {
  type: 'object',
  additionalProperties: false,
  required: ['name'],
  properties: {
    name: { type: 'string', minLength: 1, maxLength: 20 },
    size: { type: 'integer', minimum: 1 },
  },
};

/**
 * `widgets` is the service under test, its routes declared as a service's are; `helper` exists to
 * be an allowed or refused caller.
 */
export const TEST_CONFIG: RampartConfig = {
  version: 1,
  name: 'sdk-test',
  policies: {
    'read-widgets': { scopes: ['widgets:read'] },
    'write-widgets': { scopes: ['widgets:write'] },
    'any-token': {},
  },
  services: {
    widgets: {
      entry: 'services/widgets/main.ts',
      port: 7999,
      callers: ['gateway'],
      routes: [
        { method: 'GET', path: '/widgets', policy: 'read-widgets' },
        {
          method: 'POST',
          path: '/widgets',
          policy: 'write-widgets',
          schema: { maxBodyBytes: 1024, body: widgetBody },
        },
        { method: 'GET', path: '/boom', policy: 'any-token' },
        {
          method: 'PUT',
          path: '/blobs/{id}',
          policy: 'any-token',
          schema: { contentTypes: ['application/octet-stream'] },
        },
      ],
    },
    helper: { entry: 'services/helper/main.ts', port: 7998, callers: ['widgets'] },
  },
};

export interface Harness {
  readonly svc: Service;
  readonly fixture: ServiceFixture;
  /** Every log line written so far. */
  readonly logs: string[];
  close(): Promise<void>;
}

/** A `widgets` service with a few routes that exercise the SDK. */
export async function startWidgets(): Promise<Harness> {
  const fixture = await createServiceFixture({ component: 'widgets', config: TEST_CONFIG });
  const logs: string[] = [];
  const svc = await createService({
    env: fixture.env,
    logDestination: {
      write(line: string) {
        logs.push(line);
      },
    },
  });
  svc.route({
    method: 'GET',
    url: '/widgets',
    scopes: ['widgets:read'],
    handler: (request) => ({
      subject: request.principal.subject,
      frozen: Object.isFrozen(request.principal),
    }),
  });
  svc.route<{ Body: { name: string; size?: number } }>({
    method: 'POST',
    url: '/widgets',
    scopes: ['widgets:write'],
    schema: { maxBodyBytes: 1024, body: widgetBody },
    handler: (request, reply) => reply.code(201).send({ name: request.body.name }),
  });
  svc.route({
    method: 'GET',
    url: '/boom',
    scopes: [],
    handler: () => {
      throw new Error('database password is hunter2 at /srv/secret');
    },
  });
  svc.route<{ Params: { id: string }; Body: Buffer }>({
    method: 'PUT',
    url: '/blobs/{id}',
    scopes: [],
    schema: { contentTypes: ['application/octet-stream'] },
    handler: (request) => ({ id: request.params.id, size: request.body.length }),
  });
  return {
    svc,
    fixture,
    logs,
    close: async () => {
      await svc.stop();
      await fixture.cleanup();
    },
  };
}

export function bearer(token: string): { authorization: string } {
  return { authorization: `Bearer ${token}` };
}

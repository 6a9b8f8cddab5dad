import { fileURLToPath } from 'node:url';
import { createServiceFixture, type ServiceFixture } from '@rampart/testing';
import { createService, type Service } from '@rampart/sdk';

/** The shop's real rampart.yaml: the services are tested against what they are deployed with. */
export const SHOP_CONFIG = fileURLToPath(new URL('../rampart.yaml', import.meta.url));

export interface ShopHarness {
  readonly svc: Service;
  readonly fixture: ServiceFixture;
  readonly logs: string[];
  /** `Authorization` header for `sub` with the given scopes (and actor, for service-to-service calls). */
  auth(sub: string, scope: string, actor?: string): Promise<{ authorization: string }>;
  close(): Promise<void>;
}

export async function startShopService(
  component: 'profiles' | 'orders' | 'payments',
  setup: (svc: Service) => Promise<void>,
): Promise<ShopHarness> {
  const fixture = await createServiceFixture({ component, configFile: SHOP_CONFIG });
  const logs: string[] = [];
  const svc = await createService({
    env: fixture.env,
    logDestination: {
      write(line: string) {
        logs.push(line);
      },
    },
  });
  await setup(svc);
  return {
    svc,
    fixture,
    logs,
    auth: async (sub, scope, actor) => ({
      authorization: `Bearer ${await fixture.token({ sub, scope, ...(actor === undefined ? {} : { act: { sub: actor } }) })}`,
    }),
    close: async () => {
      await svc.stop();
      await fixture.cleanup();
    },
  };
}

import { describeIfAvailable } from '@rampart/testing';
import type { StoreEngine } from '../fixtures.ts';
import { accountStoreContract } from './account-store.ts';
import { passkeysContract } from './passkeys.ts';
import { totpContract } from './totp.ts';

/**
 * Everything the account layer stores, run against one engine. `embedded.test.ts` and
 * `postgres.test.ts` run it, so both engines are held to the same behaviour.
 *
 * @example
 * runAccountsContract(embeddedEngine);
 */
export function runAccountsContract(engine: StoreEngine): void {
  describeIfAvailable(`accounts on ${engine.name}`, engine.availability, () => {
    accountStoreContract(engine);
    totpContract(engine);
    passkeysContract(engine);
  });
}

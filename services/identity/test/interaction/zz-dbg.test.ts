import { it } from 'node:test';
import { startIdentity } from '../support/harness.ts';
import { authorization, exchange, INTERACTION_IDENTITY, jwtClaims, PASSWORD, publicClient, signIn, TestBrowser } from '../interaction/support.ts';
it('dbg', async () => {
  const h = await startIdentity({ identityYaml: INTERACTION_IDENTITY });
  const config = await publicClient(h);
  await h.identity.accounts.createUser({ username: 'alice', password: PASSWORD });
  const auth = await authorization(config);
  const done = await signIn(new TestBrowser(h, '1.2.3.4'), auth, { username: 'alice', password: PASSWORD });
  const tokens = await exchange(config, done.url, auth);
  console.log(tokens.claims(), jwtClaims(tokens.access_token));
  await h.close();
});

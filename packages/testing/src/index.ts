export {
  createTokenKeys,
  mintInternalToken,
  signingKeyFromPem,
  type TokenKeys,
  type InternalTokenClaims,
  type MintOptions,
} from './token-keys.ts';
export { tempDir, type TempDir } from './temp-dir.ts';
export { freePort } from './free-port.ts';
export { describeIfAvailable, type Availability } from './describe-if-available.ts';
export { requireService, type BackingService, type RequireServiceOptions } from './require-service.ts';
export { createServiceFixture, type ServiceFixture, type ServiceFixtureOptions } from './service-fixture.ts';
export {
  UpProcess,
  childPids,
  isRunning,
  uidOf,
  tempConfigDir,
  freePorts,
  writeConfig,
  getJson,
  repoRoot,
  cliMain,
  shopServices,
} from './up-process.ts';
export { selfSignedCertificate } from './self-signed.ts';

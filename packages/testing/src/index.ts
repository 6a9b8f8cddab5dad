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
export { freePlatformPorts, portsYaml } from './platform-ports.ts';
export { describeIfAvailable, type Availability } from './describe-if-available.ts';
export { requireService, type BackingService, type RequireServiceOptions } from './require-service.ts';
export { createServiceFixture, type ServiceFixture, type ServiceFixtureOptions } from './service-fixture.ts';
export {
  UpProcess,
  childPids,
  componentPids,
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
export {
  partnerCa,
  startPartnerServer,
  type PartnerCa,
  type PartnerRequest,
  type PartnerServer,
} from './partner-upstream.ts';
export { totpCode, totpCodeAt } from './totp-code.ts';
export { fetchWith, type FetchLike } from './fetch-with.ts';
export { TestBrowser, type BrowserSite, type Page } from './test-browser.ts';
export { CHROMIUM, chromiumAvailability, launchChromium } from './chromium.ts';
export { signInThroughIdentity, type SignInOutcome, type SignInPerson } from './identity-sign-in.ts';
export { frame, hpackLiterals, HTTP2_PREFACE } from './http2-frames.ts';
export { PG_ADMIN_URL, asPgAdmin, pgUrlFor, uniqueName, createTempSchema } from './pg-schema.ts';
export { yamlHead, FIXTURE_TRUST_DOMAIN, type YamlHeadPorts } from './yaml-head.ts';
export { reusePortListener } from './reuse-port-listener.ts';
export { sarifMultitoolProblems, sarifSchemaErrors, sarifValidatorSkip } from './sarif-validation.ts';
export {
  startShop,
  callService,
  securityEvents,
  SHOP_TRUST_DOMAIN,
  type RunningShop,
  type ShopOptions,
  type CallAs,
  type SidecarPorts,
} from './shop-platform.ts';
export {
  REDIS_SERVER,
  redisServerAvailability,
  startRedisServer,
  type TestRedisServer,
} from './redis-server.ts';
export { NATS_SERVER, natsServerAvailability, startNatsServer, type TestNatsServer } from './nats-server.ts';
export {
  startOtlpReceiver,
  type OtlpReceiver,
  type OtlpReceiverMode,
  type ReceivedSpan,
} from './otlp-receiver.ts';

// The audit service, as `rampart up` runs it: joins the mesh as spiffe://<td>/rampart/audit, keeps
// the tamper-evident ledger of every component's security events, and serves health, readiness and
// metrics on its admin port. The boot sequence is @rampart/sdk's `bootComponent`. See ../README.md.
import { Secret } from '@rampart/config';
import { bootComponent } from '@rampart/sdk';
import { startAudit } from './app.ts';
import { AUDIT_CHECKPOINT_MESSAGE } from './layout.ts';
import { checkpointToJson } from './ledger/index.ts';

await bootComponent({
  kind: 'audit',
  async start({ env, config, configDir, trustDomain, workload, log }) {
    const audit = await startAudit({
      config,
      stateDir: env.stateDir,
      configDir,
      signingKeyFile: env.auditSigningKeyFile,
      trustDomain,
      credentials: () => workload.current(),
      log,
      ...(env.alertWebhookSecret === undefined ? {} : { webhookSecret: new Secret(env.alertWebhookSecret) }),
      // `rampart up` keeps a copy of every checkpoint where this service cannot rewrite it.
      onCheckpoint: (checkpoint) =>
        process.send?.({ type: AUDIT_CHECKPOINT_MESSAGE, checkpoint: checkpointToJson(checkpoint) }),
    });
    workload.onRotated(() => {
      audit.rotateCredentials();
    });
    return {
      admin: audit.admin,
      listening: { url: audit.url },
      // Every revision is taken: what it reads at start restarts it (its restart key); the
      // topology its admin API shows follows the revision in force.
      applyConfig: (revision, next) => {
        audit.applyConfig(revision, next);
      },
      stop: () => audit.close(),
    };
  },
});

import type { Server as HttpsServer } from 'node:https';
import { chmod, rename, writeFile } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import type { SecureContextOptions } from 'node:tls';
import { createWorkloadCsr, type CertificateAuthority, type IssuedCertificate } from '@rampart/mesh';
import type { Logger, MeshCredentials } from '@rampart/sdk';

export interface ServerIdentityOptions {
  readonly ca: CertificateAuthority;
  readonly spiffeId: string;
  readonly ttlMs: number;
  readonly bundleFile: string;
  readonly log: Logger;
  readonly now: () => number;
  /** Told when a pending root starts signing (the authority records `ca.root_activated`). */
  readonly onRootActivated?: (root: string) => void;
}

/** Longest pause between two checks of the mesh's own certificate and of the bundle. */
const MAINTENANCE_INTERVAL_MS = 60_000;

/**
 * The mesh's own server certificate (`spiffe://<td>/rampart/mesh`, IP SAN 127.0.0.1) and the
 * trust it accepts client certificates with. Renews itself at half-life from the CA like any
 * workload — so during a rotation it keeps a certificate from the old root until the new one
 * activates — and trusts every root of the bundle, the pending one included, applying changes with
 * `setSecureContext` so connections in progress are not dropped; keeps bundle.pem in step and says
 * when a pending root starts signing (logged, and `onRootActivated`).
 */
export class ServerIdentity {
  readonly #options: ServerIdentityOptions;
  #keyPem: string;
  #issued: IssuedCertificate;
  #bundlePem: string;
  #server: HttpsServer | undefined;
  #timer: NodeJS.Timeout | undefined;
  #activeRoot: string | undefined;

  private constructor(
    options: ServerIdentityOptions,
    keyPem: string,
    issued: IssuedCertificate,
    bundlePem: string,
  ) {
    this.#options = options;
    this.#keyPem = keyPem;
    this.#issued = issued;
    this.#bundlePem = bundlePem;
    this.#activeRoot = activeRootOf(options.ca);
  }

  static async create(options: ServerIdentityOptions): Promise<ServerIdentity> {
    const { keyPem, issued } = await issueOwn(options);
    const bundlePem = await options.ca.bundlePem();
    await writeBundle(options.bundleFile, bundlePem);
    return new ServerIdentity(options, keyPem, issued, bundlePem);
  }

  /** The mesh's own workload credentials, as a client (its events to the audit service). */
  credentials(): MeshCredentials {
    return { keyPem: this.#keyPem, certPem: this.#issued.certPem, caPems: [this.#bundlePem] };
  }

  secureContextOptions(): SecureContextOptions {
    return { key: this.#keyPem, cert: this.#issued.certPem, ca: this.#bundlePem, minVersion: 'TLSv1.3' };
  }

  attach(server: HttpsServer): void {
    this.#server = server;
  }

  /** Re-reads the bundle; if it changed, rewrites bundle.pem and updates the server's trust. */
  async refreshTrust(): Promise<void> {
    const bundlePem = await this.#options.ca.bundlePem();
    if (bundlePem === this.#bundlePem) return;
    this.#bundlePem = bundlePem;
    await writeBundle(this.#options.bundleFile, bundlePem);
    this.#apply();
  }

  /** Renews the mesh's own certificate once half its lifetime has passed. */
  async renewIfDue(): Promise<void> {
    const issuedAt = this.#issued.notBefore.getTime();
    const halfLife = issuedAt + (this.#issued.notAfter.getTime() - issuedAt) / 2;
    if (this.#options.now() < halfLife) return;
    const { keyPem, issued } = await issueOwn(this.#options);
    this.#keyPem = keyPem;
    this.#issued = issued;
    this.#apply();
  }

  startMaintenance(): void {
    if (this.#timer !== undefined) return;
    const interval = Math.min(MAINTENANCE_INTERVAL_MS, Math.floor(this.#options.ttlMs / 10));
    this.#timer = setInterval(() => {
      this.#tick().catch((error: unknown) => {
        this.#options.log.error({ err: error }, 'mesh certificate maintenance failed');
      });
    }, interval);
    this.#timer.unref();
  }

  stopMaintenance(): void {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** Says so if another root signs since the last call (activation is lazy in the CA). */
  noteActivation(): void {
    const root = activeRootOf(this.#options.ca);
    if (root === this.#activeRoot) return;
    this.#activeRoot = root;
    this.#options.log.info({ root }, 'CA root activated: new leaves are signed by it');
    if (root !== undefined) this.#options.onRootActivated?.(root);
  }

  async #tick(): Promise<void> {
    await this.refreshTrust();
    this.noteActivation();
    await this.renewIfDue();
  }

  #apply(): void {
    this.#server?.setSecureContext(this.secureContextOptions());
  }
}

function activeRootOf(ca: CertificateAuthority): string | undefined {
  return ca.roots().find((root) => root.status === 'active')?.id;
}

async function issueOwn(
  options: ServerIdentityOptions,
): Promise<{ keyPem: string; issued: IssuedCertificate }> {
  const { keyPem, csrPem } = await createWorkloadCsr(options.spiffeId);
  const issued = await options.ca.issue({
    csrPem,
    spiffeId: options.spiffeId,
    ttlMs: options.ttlMs,
    ipSans: ['127.0.0.1'],
  });
  options.log.info(
    {
      event: 'certificate.issued',
      serial: issued.serial,
      spiffeId: options.spiffeId,
      notAfter: issued.notAfter,
    },
    'certificate issued',
  );
  return { keyPem, issued };
}

/** Writes bundle.pem atomically, mode 0644: public, and the one file services may read. */
async function writeBundle(file: string, bundlePem: string): Promise<void> {
  const temporary = `${file}.${randomBytes(4).toString('hex')}.tmp`;
  await writeFile(temporary, bundlePem, { mode: 0o644 });
  await chmod(temporary, 0o644);
  await rename(temporary, file);
}

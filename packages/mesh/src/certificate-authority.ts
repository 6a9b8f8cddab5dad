import {
  X509Certificate as NodeX509Certificate,
  createPrivateKey,
  createPublicKey,
  randomBytes,
  webcrypto,
} from 'node:crypto';
import { mkdir, open, readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { isIP } from 'node:net';
import { join } from 'node:path';
import {
  AuthorityKeyIdentifierExtension,
  BasicConstraintsExtension,
  ExtendedKeyUsage,
  ExtendedKeyUsageExtension,
  KeyUsageFlags,
  KeyUsagesExtension,
  Pkcs10CertificateRequest,
  SubjectAlternativeNameExtension,
  SubjectKeyIdentifierExtension,
  X509Certificate,
  X509CertificateGenerator,
  type JsonGeneralName,
} from './x509.ts';
import { RampartError } from '@rampart/errors';
import { EC_KEY_ALGORITHM, EC_SIGNING_ALGORITHM } from './csr.ts';
import { toPem } from './pem.ts';
import { parseSpiffeId } from './spiffe-id.ts';

/** Leaf lifetimes: 1 h by default, between 5 min and 24 h. */
export const DEFAULT_LEAF_TTL_MS = 60 * 60 * 1000;
export const MIN_LEAF_TTL_MS = 5 * 60 * 1000;
export const MAX_LEAF_TTL_MS = 24 * 60 * 60 * 1000;
/** Leaves are valid from one minute before issuance, for peers whose clocks run a little behind. */
export const BACKDATE_MS = 60 * 1000;
/** Local roots are valid for ten years. */
export const ROOT_VALIDITY_MS = 10 * 365 * 24 * 60 * 60 * 1000;
/** Largest CSR accepted, PEM characters. */
export const MAX_CSR_LENGTH = 16 * 1024;

const STATE_FILE = 'state.json';
const STATE_VERSION = 1;

export interface CertificateAuthorityOptions {
  /** The SPIFFE trust domain every issued ID must belong to. */
  readonly trustDomain: string;
  /** Clock, for tests. */
  readonly now?: () => number;
  /**
   * A root made elsewhere (`generateRootCa`, e.g. by `rampart export k8s-secrets`), so that the
   * bundle is known before the authority first starts. Used to create the CA when the directory
   * holds none; when it holds one, that CA must trust this root (else the published bundle and the
   * one the authority serves would differ).
   */
  readonly providedRoot?: RootCaPems;
}

/** A root CA's certificate and PKCS#8 private key, PEM. */
export interface RootCaPems {
  readonly certPem: string;
  readonly keyPem: string;
}

export interface IssueRequest {
  /** The workload's PKCS#10 request; only its public key and signature are used. */
  readonly csrPem: string;
  /** The ID the caller has established for this workload (join token, renewal peer). */
  readonly spiffeId: string;
  /** Lifetime in ms; default 1 h, at least 5 min, at most 24 h. */
  readonly ttlMs?: number;
  /** IP addresses to add as SANs (servers reached by address, e.g. 127.0.0.1). */
  readonly ipSans?: readonly string[];
  /** DNS names to add as SANs (the gateway's `localhost`, which passkeys need: WebAuthn refuses IPs). */
  readonly dnsSans?: readonly string[];
}

export interface IssuedCertificate {
  readonly certPem: string;
  /** Certificates from the issuer up to the root, PEM; here the single issuing root. */
  readonly chainPems: readonly string[];
  readonly serial: string;
  readonly spiffeId: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
}

/**
 * Where a trusted root stands: `active` signs new leaves; `pending` is published in the bundle but
 * does not sign yet (a rotation in progress); `retiring` signs no more and stays trusted until the
 * last leaf it signed has expired.
 */
export type RootStatus = 'active' | 'pending' | 'retiring';

/** What is public about a trusted root. */
export interface RootInfo {
  readonly id: string;
  readonly status: RootStatus;
  readonly notAfter: Date;
  /** For the `pending` root: when it starts signing; null otherwise. */
  readonly activatesAt: Date | null;
  /** For a `retiring` root: when it stops being trusted (its last leaf's expiry), or null if it signed none. */
  readonly retireAt: Date | null;
}

/** What `rotate()` started. */
export interface Rotation {
  /** The new root's id: in the bundle from now on. */
  readonly root: string;
  /** When the new root starts signing leaves (now, if the previous root has no valid leaf). */
  readonly activatesAt: Date;
}

interface PersistedRoot {
  readonly id: string;
  readonly createdAt: string;
  /** Latest notAfter of a leaf this root signed, ISO; null while it signed none. */
  lastLeafNotAfter: string | null;
}

interface PersistedPending {
  readonly id: string;
  /** ISO; the pending root becomes active at the first operation from then on. */
  readonly activatesAt: string;
}

interface PersistedState {
  readonly version: number;
  readonly trustDomain: string;
  active: string;
  /** The root published but not signing yet; absent or null when no rotation is in progress. */
  pending?: PersistedPending | null;
  roots: PersistedRoot[];
}

interface Root {
  readonly persisted: PersistedRoot;
  readonly certPem: string;
  readonly certificate: X509Certificate;
  /** Non-extractable: the key never leaves this object. */
  readonly signingKey: webcrypto.CryptoKey;
}

/**
 * The mesh's certificate authority: a local ECDSA P-256 root kept in one directory, issuing
 * short-lived SPIFFE leaf certificates.
 *
 * Files in the directory: `state.json` (which roots exist, which is active, which is pending),
 * `<root>.pem` (0644) and `<root>.key` (PKCS#8, 0600, refused at load if group or others may read
 * it). Keys are imported non-extractable and no method returns one.
 *
 * **Rotation rule: publish first, sign later.** `rotate()` creates a new root and adds it to the
 * bundle at once, as `pending`; the current root keeps signing. The new root becomes `active` (signs
 * every leaf from then on) once every workload must have fetched a bundle that holds it: when the
 * last leaf issued before the rotation has expired (plus one minute of skew) — every workload
 * refreshes its bundle when it renews, before its certificate expires, and every leaf issued during
 * the rotation came with the new bundle — or at once with `activatePending()`. The previous root
 * then becomes `retiring`: it stays in the bundle until `retireOld()` is called, or automatically
 * once the last leaf it signed has expired (plus one minute), and is dropped at the next bundle read
 * if it signed nothing. So at every moment every valid leaf verifies against every live workload's
 * bundle. Retired roots' files are deleted, the key first. A restart keeps all of it.
 */
export class CertificateAuthority {
  readonly trustDomain: string;
  readonly #dir: string;
  readonly #now: () => number;
  readonly #state: PersistedState;
  readonly #roots: Root[];
  #writing: Promise<void> = Promise.resolve();
  #rotating = false;

  private constructor(dir: string, state: PersistedState, roots: Root[], now: () => number) {
    this.trustDomain = state.trustDomain;
    this.#dir = dir;
    this.#state = state;
    this.#roots = roots;
    this.#now = now;
  }

  /**
   * Loads the CA kept in `dir`, or creates it (with a first root) when the directory holds none.
   * Throws a `TypeError` if the directory belongs to another trust domain or a key file is readable
   * by group or others.
   *
   * @example
   * const ca = await CertificateAuthority.open(join(stateDir, 'ca'), { trustDomain: 'shop.local' });
   */
  static async open(dir: string, options: CertificateAuthorityOptions): Promise<CertificateAuthority> {
    if (parseSpiffeId(`spiffe://${options.trustDomain}/x`) === null) {
      throw new TypeError(`invalid trust domain "${options.trustDomain}"`);
    }
    const now = options.now ?? Date.now;
    await mkdir(dir, { recursive: true, mode: 0o700 });
    const existing = await readState(dir);
    const provided =
      options.providedRoot === undefined ? undefined : checkProvidedRoot(options.providedRoot, now());
    if (existing === undefined) {
      const root =
        provided === undefined
          ? await createRoot(dir, options.trustDomain, now())
          : await adoptRoot(dir, provided.id, options.providedRoot as RootCaPems, now());
      const state: PersistedState = {
        version: STATE_VERSION,
        trustDomain: options.trustDomain,
        active: root.persisted.id,
        roots: [root.persisted],
      };
      await writeState(dir, state);
      return new CertificateAuthority(dir, state, [root], now);
    }
    if (existing.trustDomain !== options.trustDomain) {
      throw new TypeError(
        `the CA in ${dir} is for trust domain "${existing.trustDomain}", not "${options.trustDomain}": ` +
          'use another directory, or keep the trust domain',
      );
    }
    const roots = await Promise.all(existing.roots.map((persisted) => loadRoot(dir, persisted)));
    if (provided !== undefined && !roots.some((root) => root.certificate.equal(provided.certificate))) {
      throw new TypeError(
        `the CA in ${dir} does not trust the provided root (${provided.id}): the bundle it serves would ` +
          'not be the one published with it; provide the root this CA was made from, or empty the directory',
      );
    }
    if (!roots.some((root) => root.persisted.id === existing.active)) {
      throw new TypeError(`${join(dir, STATE_FILE)} names an active root that is not there`);
    }
    const pending = existing.pending ?? null;
    if (
      pending !== null &&
      (pending.id === existing.active ||
        !roots.some((root) => root.persisted.id === pending.id) ||
        Number.isNaN(Date.parse(pending.activatesAt)))
    ) {
      throw new TypeError(`${join(dir, STATE_FILE)} names a pending root that is not there`);
    }
    return new CertificateAuthority(dir, existing, roots, now);
  }

  /**
   * Issues a leaf certificate for `spiffeId` to the key in the CSR, after checking the CSR's
   * signature (proof of possession). The names the CSR asks for are ignored: the leaf carries
   * exactly one URI SAN, `spiffeId`, plus the given IP SANs. A bad CSR is a `RampartError`
   * `MESH_CSR_INVALID`; a bad ID, TTL or IP (a programming mistake) is a `TypeError`.
   *
   * @example
   * const leaf = await ca.issue({ csrPem, spiffeId: 'spiffe://shop.local/service/orders', ttlMs: 3_600_000 });
   */
  async issue(request: IssueRequest): Promise<IssuedCertificate> {
    const parsed = parseSpiffeId(request.spiffeId);
    if (parsed === null) throw new TypeError(`"${request.spiffeId}" is not a SPIFFE ID`);
    if (parsed.trustDomain !== this.trustDomain) {
      throw new TypeError(`${request.spiffeId} is not in trust domain ${this.trustDomain}`);
    }
    const ttlMs = request.ttlMs ?? DEFAULT_LEAF_TTL_MS;
    if (!Number.isInteger(ttlMs) || ttlMs < MIN_LEAF_TTL_MS || ttlMs > MAX_LEAF_TTL_MS) {
      throw new TypeError(
        `ttlMs must be an integer between ${MIN_LEAF_TTL_MS} (5 min) and ${MAX_LEAF_TTL_MS} (24 h)`,
      );
    }
    const ipSans = request.ipSans ?? [];
    for (const ip of ipSans) if (isIP(ip) === 0) throw new TypeError(`"${ip}" is not an IP address`);
    const dnsSans = request.dnsSans ?? [];
    for (const name of dnsSans) {
      if (
        !/^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/.test(name)
      ) {
        throw new TypeError(`"${name}" is not a DNS name (lower-case letters, digits, dots and dashes)`);
      }
    }

    const csr = await verifiedCsr(request.csrPem);
    this.#activateIfDue();
    const root = this.#activeRoot();
    const nowMs = this.#now();
    const notBefore = new Date(nowMs - BACKDATE_MS);
    const notAfter = new Date(nowMs + ttlMs);
    const serial = randomSerial();
    const names: JsonGeneralName[] = [
      { type: 'url', value: parsed.id },
      ...ipSans.map((ip): JsonGeneralName => ({ type: 'ip', value: ip })),
      ...dnsSans.map((name): JsonGeneralName => ({ type: 'dns', value: name })),
    ];
    const leaf = await X509CertificateGenerator.create({
      serialNumber: serial,
      subject: 'O=Rampart workload',
      issuer: root.certificate.subjectName,
      notBefore,
      notAfter,
      publicKey: csr.publicKey,
      signingKey: root.signingKey,
      signingAlgorithm: EC_SIGNING_ALGORITHM,
      extensions: [
        new BasicConstraintsExtension(false, undefined, true),
        new KeyUsagesExtension(KeyUsageFlags.digitalSignature, true),
        new ExtendedKeyUsageExtension([ExtendedKeyUsage.serverAuth, ExtendedKeyUsage.clientAuth]),
        new SubjectAlternativeNameExtension(names),
        await SubjectKeyIdentifierExtension.create(csr.publicKey),
        await AuthorityKeyIdentifierExtension.create(root.certificate.publicKey),
      ],
    });

    const previous = root.persisted.lastLeafNotAfter;
    if (previous === null || Date.parse(previous) < notAfter.getTime()) {
      root.persisted.lastLeafNotAfter = notAfter.toISOString();
      await this.#persist();
    }
    return {
      certPem: leaf.toString('pem') + '\n',
      chainPems: [root.certPem],
      serial,
      spiffeId: parsed.id,
      notBefore,
      notAfter,
    };
  }

  /**
   * Every trusted root, PEM: the active one first, then the pending one, then the retiring ones.
   * A pending root due to sign is activated, and retiring roots past their retirement are dropped
   * (and deleted), first.
   *
   * @example
   * writeFileSync(join(stateDir, 'bundle.pem'), await ca.bundlePem(), { mode: 0o644 });
   */
  async bundlePem(): Promise<string> {
    if (this.#activateIfDue()) await this.#persist();
    await this.#pruneExpired();
    return this.#ordered()
      .map((root) => root.certPem)
      .join('');
  }

  /** Public facts about the trusted roots (never a key), in bundle order. */
  roots(): RootInfo[] {
    // A due activation is applied in memory only: it is persisted by the next write, and a CA
    // reopened before that derives the same state from `activatesAt`.
    this.#activateIfDue();
    const pending = this.#state.pending ?? null;
    return this.#ordered().map((root): RootInfo => {
      const id = root.persisted.id;
      const status = this.#statusOf(root);
      return {
        id,
        status,
        notAfter: root.certificate.notAfter,
        activatesAt: status === 'pending' && pending !== null ? new Date(pending.activatesAt) : null,
        retireAt: status === 'retiring' ? retireAt(root) : null,
      };
    });
  }

  /**
   * Starts a rotation: creates a new root and publishes it in the bundle at once, as `pending`; the
   * current root keeps signing until the new one activates — when the last leaf issued before now
   * has expired (+1 min), or at `activatePending()`. If the current root has no valid leaf left, the
   * new root is active at once. Rejects while another rotation is pending.
   *
   * @example
   * const { root, activatesAt } = await ca.rotate();
   * writeFileSync(bundleFile, await ca.bundlePem()); // publish now; the new root signs from activatesAt
   */
  async rotate(): Promise<Rotation> {
    this.#activateIfDue();
    const current = this.#state.pending ?? null;
    if (current !== null || this.#rotating) {
      const detail = current === null ? '' : `: root ${current.id} starts signing at ${current.activatesAt}`;
      throw new Error(`a CA rotation is already in progress${detail} (activatePending() switches now)`);
    }
    this.#rotating = true;
    let root: Root;
    try {
      root = await createRoot(this.#dir, this.trustDomain, this.#now());
    } finally {
      this.#rotating = false;
    }
    // Computed after the await, together with publishing: a leaf whose issuance raced with the
    // rotation either counts here or was answered with a bundle that already holds the new root.
    const nowMs = this.#now();
    const last = this.#activeRoot().persisted.lastLeafNotAfter;
    const activatesAtMs = Math.max(nowMs, last === null ? nowMs : Date.parse(last) + BACKDATE_MS);
    this.#roots.push(root);
    this.#state.roots.push(root.persisted);
    this.#state.pending = { id: root.persisted.id, activatesAt: new Date(activatesAtMs).toISOString() };
    this.#activateIfDue();
    await this.#persist();
    return { root: root.persisted.id, activatesAt: new Date(activatesAtMs) };
  }

  /**
   * Makes the pending root sign from now on, without waiting for its activation time; the previous
   * root becomes `retiring`. Returns the new active root's id, or null when no rotation is pending.
   * Only safe once every workload holds a bundle with the new root (else they refuse its leaves).
   */
  async activatePending(): Promise<string | null> {
    const pending = this.#state.pending ?? null;
    if (pending === null) return null;
    this.#activate(pending.id);
    await this.#persist();
    return pending.id;
  }

  /**
   * Stops trusting every `retiring` root now, and deletes its files (the pending root, if any,
   * stays). Returns how many were retired.
   */
  async retireOld(): Promise<number> {
    this.#activateIfDue();
    const old = this.#roots.filter((root) => this.#statusOf(root) === 'retiring');
    await this.#retire(old);
    return old.length;
  }

  #statusOf(root: Root): RootStatus {
    const id = root.persisted.id;
    if (id === this.#state.active) return 'active';
    if (id === this.#state.pending?.id) return 'pending';
    return 'retiring';
  }

  /** Activates the pending root if its time has come; true if the state changed (not yet persisted). */
  #activateIfDue(): boolean {
    const pending = this.#state.pending ?? null;
    if (pending === null || Date.parse(pending.activatesAt) > this.#now()) return false;
    this.#activate(pending.id);
    return true;
  }

  #activate(id: string): void {
    this.#state.active = id;
    this.#state.pending = null;
  }

  #activeRoot(): Root {
    const root = this.#roots.find((candidate) => candidate.persisted.id === this.#state.active);
    if (root === undefined) throw new Error('the CA has no active root');
    return root;
  }

  /** Active, then pending, then retiring (oldest first). */
  #ordered(): Root[] {
    const rank: Record<RootStatus, number> = { active: 0, pending: 1, retiring: 2 };
    return [...this.#roots].sort((a, b) => rank[this.#statusOf(a)] - rank[this.#statusOf(b)]);
  }

  async #pruneExpired(): Promise<void> {
    const nowMs = this.#now();
    const expired = this.#roots.filter((root) => {
      if (this.#statusOf(root) !== 'retiring') return false;
      const at = retireAt(root);
      return at === null || at.getTime() <= nowMs;
    });
    if (expired.length > 0) await this.#retire(expired);
  }

  async #retire(roots: readonly Root[]): Promise<void> {
    if (roots.length === 0) return;
    const ids = new Set(roots.map((root) => root.persisted.id));
    this.#state.roots = this.#state.roots.filter((root) => !ids.has(root.id));
    for (let i = this.#roots.length - 1; i >= 0; i--) {
      const root = this.#roots[i];
      if (root !== undefined && ids.has(root.persisted.id)) this.#roots.splice(i, 1);
    }
    await this.#persist();
    for (const id of ids) {
      await unlink(join(this.#dir, `${id}.key`)).catch(ignoreMissing);
      await unlink(join(this.#dir, `${id}.pem`)).catch(ignoreMissing);
    }
  }

  #persist(): Promise<void> {
    const snapshot = JSON.parse(JSON.stringify(this.#state)) as PersistedState;
    this.#writing = this.#writing.then(() => writeState(this.#dir, snapshot));
    return this.#writing;
  }
}

function retireAt(root: Root): Date | null {
  const last = root.persisted.lastLeafNotAfter;
  return last === null ? null : new Date(Date.parse(last) + BACKDATE_MS);
}

async function verifiedCsr(csrPem: unknown): Promise<Pkcs10CertificateRequest> {
  if (typeof csrPem !== 'string' || csrPem.length === 0 || csrPem.length > MAX_CSR_LENGTH) {
    throw csrInvalid(`the CSR must be a PEM string of at most ${MAX_CSR_LENGTH} characters`);
  }
  let csr: Pkcs10CertificateRequest;
  try {
    csr = new Pkcs10CertificateRequest(csrPem);
  } catch (cause) {
    throw csrInvalid('the CSR cannot be parsed', cause);
  }
  const algorithm = csr.publicKey.algorithm as { name?: string; namedCurve?: string };
  if (algorithm.name !== 'ECDSA' || algorithm.namedCurve !== 'P-256') {
    throw csrInvalid('the CSR key must be ECDSA P-256');
  }
  let valid: boolean;
  try {
    valid = await csr.verify();
  } catch (cause) {
    throw csrInvalid('the CSR signature cannot be checked', cause);
  }
  if (!valid) throw csrInvalid('the CSR is not signed by the key it carries');
  return csr;
}

function csrInvalid(detail: string, cause?: unknown): RampartError {
  return new RampartError('MESH_CSR_INVALID', { detail, cause });
}

/** 128 random bits, positive and without a leading zero byte (RFC 5280 §4.1.2.2). */
function randomSerial(): string {
  const bytes = randomBytes(16);
  bytes[0] = ((bytes[0] ?? 0) & 0x7f) | 0x40;
  return bytes.toString('hex');
}

/**
 * A new root CA for `trustDomain` (ECDSA P-256, ten years, path length 0), as the authority makes
 * its own: for a root made before the authority first starts (`providedRoot`), so that its bundle
 * can be published beforehand. The key is PKCS#8 PEM: keep it as secret as the authority's.
 *
 * @example
 * const { certPem, keyPem } = await generateRootCa('shop.local');
 */
export async function generateRootCa(trustDomain: string, nowMs: number = Date.now()): Promise<RootCaPems> {
  if (parseSpiffeId(`spiffe://${trustDomain}/x`) === null) {
    throw new TypeError(`invalid trust domain "${trustDomain}"`);
  }
  const { certPem, keyPem } = await makeRoot(rootId(nowMs), trustDomain, nowMs);
  return { certPem, keyPem };
}

function rootId(nowMs: number): string {
  return `root-${new Date(nowMs).toISOString().replace(/[-:.]/g, '').toLowerCase()}-${randomBytes(4).toString('hex')}`;
}

async function createRoot(dir: string, trustDomain: string, nowMs: number): Promise<Root> {
  const id = rootId(nowMs);
  const { certPem, keyPem, certificate } = await makeRoot(id, trustDomain, nowMs);
  return writeRoot(dir, id, { certPem, keyPem }, certificate, nowMs);
}

/** Checks a provided root: a CA certificate, valid now, whose key is the P-256 key given with it. */
function checkProvidedRoot(
  provided: RootCaPems,
  nowMs: number,
): { id: string; certificate: X509Certificate } {
  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(provided.certPem);
  } catch (cause) {
    throw new TypeError('the provided mesh root is not a PEM certificate', { cause });
  }
  const constraints = certificate.getExtension(BasicConstraintsExtension);
  if (constraints?.ca !== true) throw new TypeError('the provided mesh root is not a CA certificate');
  if (certificate.notBefore.getTime() > nowMs + BACKDATE_MS || certificate.notAfter.getTime() <= nowMs) {
    throw new TypeError('the provided mesh root is not valid now (see its notBefore and notAfter)');
  }
  try {
    importSigningKey(provided.keyPem, provided.certPem);
  } catch (cause) {
    if (cause instanceof TypeError) throw cause;
    throw new TypeError('the provided mesh root key is not an ECDSA P-256 PKCS#8 key', { cause });
  }
  const fingerprint = new NodeX509Certificate(provided.certPem).fingerprint256
    .replaceAll(':', '')
    .toLowerCase();
  return { id: `root-provided-${fingerprint.slice(0, 16)}`, certificate };
}

async function adoptRoot(dir: string, id: string, provided: RootCaPems, nowMs: number): Promise<Root> {
  const certPem = new X509Certificate(provided.certPem).toString('pem') + '\n';
  return writeRoot(dir, id, { certPem, keyPem: provided.keyPem }, new X509Certificate(certPem), nowMs);
}

async function makeRoot(
  id: string,
  trustDomain: string,
  nowMs: number,
): Promise<RootCaPems & { certificate: X509Certificate }> {
  const keys = await webcrypto.subtle.generateKey(EC_KEY_ALGORITHM, true, ['sign', 'verify']);
  const certificate = await X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerial(),
    name: `CN=Rampart mesh root ${id}, O=${trustDomain}`,
    notBefore: new Date(nowMs - BACKDATE_MS),
    notAfter: new Date(nowMs + ROOT_VALIDITY_MS),
    keys,
    signingAlgorithm: EC_SIGNING_ALGORITHM,
    extensions: [
      new BasicConstraintsExtension(true, 0, true),
      new KeyUsagesExtension(KeyUsageFlags.keyCertSign | KeyUsageFlags.cRLSign, true),
      await SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  const keyPem = toPem(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey), 'PRIVATE KEY');
  return { certPem: certificate.toString('pem') + '\n', keyPem, certificate };
}

async function writeRoot(
  dir: string,
  id: string,
  { certPem, keyPem }: RootCaPems,
  certificate: X509Certificate,
  nowMs: number,
): Promise<Root> {
  const handle = await open(join(dir, `${id}.key`), 'wx', 0o600);
  try {
    await handle.writeFile(keyPem);
  } finally {
    await handle.close();
  }
  await writeFile(join(dir, `${id}.pem`), certPem, { mode: 0o644 });
  const persisted: PersistedRoot = { id, createdAt: new Date(nowMs).toISOString(), lastLeafNotAfter: null };
  return { persisted, certPem, certificate, signingKey: importSigningKey(keyPem, certPem) };
}

async function loadRoot(dir: string, persisted: PersistedRoot): Promise<Root> {
  if (!/^root-[a-z0-9-]+$/.test(persisted.id)) throw new TypeError(`invalid root id in ${dir}/${STATE_FILE}`);
  const keyFile = join(dir, `${persisted.id}.key`);
  const { mode } = await stat(keyFile);
  if ((mode & 0o077) !== 0) {
    throw new TypeError(`${keyFile} is readable by group or others: run chmod 600 on it`);
  }
  const keyPem = await readFile(keyFile, 'utf8');
  const certPem = await readFile(join(dir, `${persisted.id}.pem`), 'utf8');
  return {
    persisted: { ...persisted },
    certPem,
    certificate: new X509Certificate(certPem),
    signingKey: importSigningKey(keyPem, certPem),
  };
}

/** Imports the key non-extractable, after checking that it belongs to the root certificate. */
function importSigningKey(keyPem: string, certPem: string): webcrypto.CryptoKey {
  const privateKey = createPrivateKey({ key: keyPem, format: 'pem' });
  const fromKey = createPublicKey(privateKey).export({ type: 'spki', format: 'der' });
  const fromCert = new NodeX509Certificate(certPem).publicKey.export({ type: 'spki', format: 'der' });
  if (!fromKey.equals(fromCert)) throw new TypeError('a CA key does not match its root certificate');
  return privateKey.toCryptoKey(EC_KEY_ALGORITHM, false, ['sign']);
}

async function readState(dir: string): Promise<PersistedState | undefined> {
  let text: string;
  try {
    text = await readFile(join(dir, STATE_FILE), 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  const state = JSON.parse(text) as PersistedState;
  const pending: unknown = state.pending ?? null;
  const pendingValid =
    pending === null ||
    (typeof pending === 'object' &&
      typeof (pending as Partial<PersistedPending>).id === 'string' &&
      typeof (pending as Partial<PersistedPending>).activatesAt === 'string');
  if (
    state.version !== STATE_VERSION ||
    !Array.isArray(state.roots) ||
    typeof state.active !== 'string' ||
    !pendingValid
  ) {
    throw new TypeError(`${join(dir, STATE_FILE)} is not a CA state file of version ${STATE_VERSION}`);
  }
  return state;
}

async function writeState(dir: string, state: PersistedState): Promise<void> {
  const file = join(dir, STATE_FILE);
  const temporary = `${file}.${randomBytes(4).toString('hex')}.tmp`;
  await writeFile(temporary, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
  await rename(temporary, file);
}

function ignoreMissing(error: unknown): void {
  if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
}

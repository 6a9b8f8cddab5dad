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

/** What is public about a trusted root. */
export interface RootInfo {
  readonly id: string;
  /** True for the root that signs new leaves. */
  readonly active: boolean;
  readonly notAfter: Date;
  /** For a previous root: when it stops being trusted (its last leaf's expiry), or null if not yet known. */
  readonly retireAt: Date | null;
}

interface PersistedRoot {
  readonly id: string;
  readonly createdAt: string;
  /** Latest notAfter of a leaf this root signed, ISO; null while it signed none. */
  lastLeafNotAfter: string | null;
}

interface PersistedState {
  readonly version: number;
  readonly trustDomain: string;
  active: string;
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
 * Files in the directory: `state.json` (which roots exist, which is active), `<root>.pem` (0644)
 * and `<root>.key` (PKCS#8, 0600, refused at load if group or others may read it). Keys are imported
 * non-extractable and no method returns one.
 *
 * **Rotation rule.** `rotate()` creates a new root that signs every leaf from then on. The previous
 * root stays in the bundle until `retireOld()` is called, or automatically once the last leaf it
 * signed has expired (plus one minute of skew) — so no certificate it issued ever stops verifying
 * while it is still valid. A previous root that signed nothing is dropped at the next bundle read.
 * Retired roots' files are deleted, the key first.
 */
export class CertificateAuthority {
  readonly trustDomain: string;
  readonly #dir: string;
  readonly #now: () => number;
  readonly #state: PersistedState;
  readonly #roots: Root[];
  #writing: Promise<void> = Promise.resolve();

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
    if (existing === undefined) {
      const root = await createRoot(dir, options.trustDomain, now());
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
    if (!roots.some((root) => root.persisted.id === existing.active)) {
      throw new TypeError(`${join(dir, STATE_FILE)} names an active root that is not there`);
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

    const csr = await verifiedCsr(request.csrPem);
    const root = this.#activeRoot();
    const nowMs = this.#now();
    const notBefore = new Date(nowMs - BACKDATE_MS);
    const notAfter = new Date(nowMs + ttlMs);
    const serial = randomSerial();
    const names: JsonGeneralName[] = [
      { type: 'url', value: parsed.id },
      ...ipSans.map((ip): JsonGeneralName => ({ type: 'ip', value: ip })),
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
   * Every trusted root, PEM, the active one first. Previous roots past their retirement are
   * dropped (and deleted) first.
   *
   * @example
   * writeFileSync(join(stateDir, 'bundle.pem'), await ca.bundlePem(), { mode: 0o644 });
   */
  async bundlePem(): Promise<string> {
    await this.#pruneExpired();
    return this.#ordered()
      .map((root) => root.certPem)
      .join('');
  }

  /** Public facts about the trusted roots (never a key). */
  roots(): RootInfo[] {
    return this.#ordered().map((root) => ({
      id: root.persisted.id,
      active: root.persisted.id === this.#state.active,
      notAfter: root.certificate.notAfter,
      retireAt: root.persisted.id === this.#state.active ? null : retireAt(root),
    }));
  }

  /**
   * Creates a new root that signs every leaf from now on; previous roots stay trusted (see the
   * rotation rule above). Returns the new root's id.
   *
   * @example
   * await ca.rotate();
   * writeFileSync(bundleFile, await ca.bundlePem());
   */
  async rotate(): Promise<string> {
    const root = await createRoot(this.#dir, this.trustDomain, this.#now());
    this.#roots.push(root);
    this.#state.roots.push(root.persisted);
    this.#state.active = root.persisted.id;
    await this.#persist();
    return root.persisted.id;
  }

  /** Stops trusting every previous root now, and deletes its files. Returns how many were retired. */
  async retireOld(): Promise<number> {
    const old = this.#roots.filter((root) => root.persisted.id !== this.#state.active);
    await this.#retire(old);
    return old.length;
  }

  #activeRoot(): Root {
    const root = this.#roots.find((candidate) => candidate.persisted.id === this.#state.active);
    if (root === undefined) throw new Error('the CA has no active root');
    return root;
  }

  #ordered(): Root[] {
    const active = this.#activeRoot();
    return [active, ...this.#roots.filter((root) => root !== active)];
  }

  async #pruneExpired(): Promise<void> {
    const nowMs = this.#now();
    const expired = this.#roots.filter((root) => {
      if (root.persisted.id === this.#state.active) return false;
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

async function createRoot(dir: string, trustDomain: string, nowMs: number): Promise<Root> {
  const id = `root-${new Date(nowMs).toISOString().replace(/[-:.]/g, '').toLowerCase()}-${randomBytes(4).toString('hex')}`;
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
  const handle = await open(join(dir, `${id}.key`), 'wx', 0o600);
  try {
    await handle.writeFile(keyPem);
  } finally {
    await handle.close();
  }
  const certPem = certificate.toString('pem') + '\n';
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
  if (state.version !== STATE_VERSION || !Array.isArray(state.roots) || typeof state.active !== 'string') {
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

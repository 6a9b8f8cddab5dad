import assert from 'node:assert/strict';
import { generateKeyPairSync, X509Certificate } from 'node:crypto';
import { cpSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { connect } from 'node:tls';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { Agent, request } from 'undici';
import { writeComponentEnv, type RampartConfig } from '@rampart/config';
import {
  CertificateAuthority,
  componentSpiffeId,
  createJoinToken,
  createWorkloadCsr,
  serviceSpiffeId,
  verifyPeerSpiffeId,
} from '@rampart/mesh';
import { buildMeshAuthority, type MeshAuthority } from '@rampart/mesh-service';
import { createLogger, createService, type Service } from '@rampart/sdk';
import { freePort, mintInternalToken, signingKeyFromPem, tempDir, type TempDir } from '@rampart/testing';

const TD = 'rotation.local';
const quiet = (): Writable =>
  new Writable({
    write: (_chunk, _encoding, done) => {
      done();
    },
  });

describe('mesh: certificate rotation under steady load', () => {
  let home: TempDir;
  let mesh: MeshAuthority;
  let svc: Service;
  /** Undone in reverse order, however far `before` got. */
  const cleanups: (() => Promise<void>)[] = [];
  let port: number;
  let gateway: { key: string; cert: string };
  let token: string;

  before(async () => {
    home = await tempDir('rampart-rotation-');
    cleanups.push(() => home.cleanup());
    port = await freePort();
    const config: RampartConfig = {
      version: 1,
      name: 'rotation',
      trustDomain: TD,
      policies: { ping: { scopes: ['echo:ping'] } },
      services: {
        echo: {
          entry: 'echo/main.ts',
          port,
          adminPort: await freePort(),
          callers: ['gateway'],
          routes: [{ method: 'GET', path: '/ping', policy: 'ping' }],
        },
      },
    };
    const configFile = join(home.path, 'rampart.yaml');
    writeFileSync(configFile, JSON.stringify(config)); // JSON is YAML
    const { privateKey, publicKey } = generateKeyPairSync('ed25519');
    const signingKeyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
    const publicKeyPem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
    mkdirSync(join(home.path, 'echo'), { mode: 0o700 });
    const publicKeyFile = join(home.path, 'token.pub.pem');
    writeFileSync(publicKeyFile, publicKeyPem);

    mesh = await buildMeshAuthority({
      config,
      stateDir: join(home.path, 'mesh'),
      signingKeyPem,
      publicKeyPem,
      log: createLogger('mesh', { destination: quiet() }),
      port: 0,
      adminPort: 0,
    });
    const { url } = await mesh.start();
    cleanups.push(() => mesh.stop());
    const join_ = createJoinToken();
    mesh.addJoinToken(serviceSpiffeId(TD, 'echo'), join_.sha256, Date.now() + 60_000);

    svc = await createService({
      env: writeComponentEnv('service', {
        configFile,
        component: 'echo',
        stateDir: join(home.path, 'echo'),
        keyringFile: join(home.path, 'keyring', 'keyring.json'),
        internalTokenKeyFile: publicKeyFile,
        meshUrl: url,
        meshBundleFile: mesh.bundleFile,
      }),
      secrets: { joinToken: join_.token, env: {} },
      logDestination: quiet(),
    });
    svc.route({ method: 'GET', url: '/ping', handler: () => ({ ok: true }) });
    cleanups.push(() => svc.stop());
    await svc.start();

    // The test stands in for the gateway, with a certificate from a copy of the mesh CA.
    cpSync(join(home.path, 'mesh/ca'), join(home.path, 'ca-copy'), { recursive: true });
    const ca = await CertificateAuthority.open(join(home.path, 'ca-copy'), { trustDomain: TD });
    const csr = await createWorkloadCsr(componentSpiffeId(TD, 'gateway'));
    gateway = {
      key: csr.keyPem,
      cert: (await ca.issue({ csrPem: csr.csrPem, spiffeId: componentSpiffeId(TD, 'gateway') })).certPem,
    };
    token = await mintInternalToken(
      await signingKeyFromPem(signingKeyPem),
      { sub: 'alice', aud: 'echo', scope: 'echo:ping' },
      { expiresIn: 120 },
    );
  });

  after(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });

  async function serverSerial(): Promise<string> {
    const bundle = await mesh.bundlePem();
    return new Promise((resolve, reject) => {
      const socket = connect(
        {
          host: '127.0.0.1',
          port,
          ca: bundle,
          cert: gateway.cert,
          key: gateway.key,
          checkServerIdentity: verifyPeerSpiffeId(serviceSpiffeId(TD, 'echo')),
        },
        () => {
          const serial = new X509Certificate(socket.getPeerCertificate().raw).serialNumber;
          socket.end();
          resolve(serial);
        },
      );
      socket.on('error', reject);
    });
  }

  it('loses no request while the service renews its certificate again and again', async () => {
    const bundle = await mesh.bundlePem();
    const serialBefore = await serverSerial();
    let ok = 0;
    const failures: string[] = [];
    let running = true;

    // Four clients: two keep their connections alive, two reconnect for every request, so both
    // connections opened before a renewal and connections opened after it are exercised.
    const client = async (keepAlive: boolean): Promise<void> => {
      const agent = new Agent({
        connect: {
          ca: bundle,
          cert: gateway.cert,
          key: gateway.key,
          checkServerIdentity: verifyPeerSpiffeId(serviceSpiffeId(TD, 'echo')),
        },
        ...(keepAlive ? {} : { pipelining: 0 }),
      });
      while (running) {
        try {
          const res = await request(`https://127.0.0.1:${port}/ping`, {
            dispatcher: agent,
            headers: { authorization: `Bearer ${token}`, ...(keepAlive ? {} : { connection: 'close' }) },
          });
          await res.body.text();
          if (res.statusCode === 200) ok += 1;
          else failures.push(`HTTP ${res.statusCode}`);
        } catch (error) {
          failures.push((error as Error).message);
        }
      }
      await agent.close();
    };
    const load = [client(true), client(true), client(false), client(false)];
    for (let i = 0; i < 5; i++) {
      await sleep(250);
      await svc.renewCertificate();
    }
    await sleep(250);
    running = false;
    await Promise.all(load);

    assert.deepEqual(failures, [], `${failures.length} of ${ok + failures.length} requests failed`);
    assert.ok(ok > 100, `only ${ok} requests completed`);
    assert.notEqual(await serverSerial(), serialBefore, 'the service now presents a new certificate');
  });
});

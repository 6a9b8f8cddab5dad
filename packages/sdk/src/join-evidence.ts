import { readFile } from 'node:fs/promises';
import { componentEnv } from '@rampart/config';
import type { JoinEvidence } from '@rampart/mesh';
import type { LaunchSecrets } from './launch-secrets.ts';

/** A projected service-account token is a JWT of a few KiB; a larger file is not one. */
const MAX_PSAT_BYTES = 16 * 1024;

/**
 * How this component proves who it is when it joins the mesh: the one-time join token `rampart up`
 * handed over IPC, or else — on Kubernetes — the projected service-account token in
 * `psatFile` (`componentEnv.meshPsatFile`), read anew at every join because the kubelet rotates it.
 * Neither: a `TypeError` saying where each should have come from.
 *
 * @example
 * const evidence = meshJoinEvidence(secrets, env.meshPsatFile);
 * await startWorkloadIdentity({ ...options, joinEvidence: evidence });
 */
export function meshJoinEvidence(
  secrets: LaunchSecrets,
  psatFile: string | undefined,
): () => Promise<JoinEvidence> {
  const { joinToken } = secrets;
  if (joinToken !== undefined) return () => Promise.resolve({ type: 'join_token', token: joinToken });
  if (psatFile !== undefined) return () => readServiceAccountToken(psatFile);
  throw new TypeError(
    'no mesh join token: rampart up hands it over IPC at every start (never in the environment); ' +
      `on Kubernetes set ${componentEnv.meshPsatFile.name} to the projected service-account token ` +
      '(audience rampart-mesh) mounted in the pod; else run the component with rampart up',
  );
}

async function readServiceAccountToken(file: string): Promise<JoinEvidence> {
  let text: string;
  try {
    const bytes = await readFile(file);
    if (bytes.length > MAX_PSAT_BYTES) throw new RangeError(`larger than ${MAX_PSAT_BYTES} bytes`);
    text = bytes.toString('utf8').trim();
  } catch (cause) {
    const reason = cause instanceof Error ? cause.message : 'unreadable';
    throw new TypeError(
      `the service-account token in ${file} (${componentEnv.meshPsatFile.name}) cannot be read: ${reason}`,
      { cause },
    );
  }
  if (text.length === 0) {
    throw new TypeError(`the service-account token in ${file} (${componentEnv.meshPsatFile.name}) is empty`);
  }
  return { type: 'k8s_psat', token: text };
}

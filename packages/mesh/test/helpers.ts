import { webcrypto } from 'node:crypto';
import {
  Pkcs10CertificateRequestGenerator,
  SubjectAlternativeNameExtension,
  X509CertificateGenerator,
  type JsonGeneralName,
} from '../src/x509.ts';

const EC = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const SIGN = { name: 'ECDSA', hash: 'SHA-256' } as const;

/** A self-signed certificate with the given subject and SANs, for peerSpiffeId tests. */
export async function certificateWith(subject: string, names: JsonGeneralName[]): Promise<string> {
  const keys = await webcrypto.subtle.generateKey(EC, true, ['sign', 'verify']);
  const certificate = await X509CertificateGenerator.createSelfSigned({
    name: subject,
    keys,
    signingAlgorithm: SIGN,
    extensions: names.length === 0 ? [] : [new SubjectAlternativeNameExtension(names)],
  });
  return certificate.toString('pem');
}

/** A CSR that carries one key's public half but is signed by another key. */
export async function csrSignedByAnotherKey(spiffeId: string): Promise<string> {
  const carried = await webcrypto.subtle.generateKey(EC, true, ['sign', 'verify']);
  const signer = await webcrypto.subtle.generateKey(EC, true, ['sign', 'verify']);
  const csr = await Pkcs10CertificateRequestGenerator.create({
    keys: { publicKey: carried.publicKey, privateKey: signer.privateKey },
    signingAlgorithm: SIGN,
    extensions: [new SubjectAlternativeNameExtension([{ type: 'url', value: spiffeId }])],
  });
  return csr.toString('pem');
}

/** A valid CSR over an RSA key (refused: only P-256 is accepted). */
export async function rsaCsr(): Promise<string> {
  const algorithm = {
    name: 'RSASSA-PKCS1-v1_5',
    hash: 'SHA-256',
    modulusLength: 2048,
    publicExponent: new Uint8Array([1, 0, 1]),
  };
  const keys = await webcrypto.subtle.generateKey(algorithm, true, ['sign', 'verify']);
  const csr = await Pkcs10CertificateRequestGenerator.create({ keys, signingAlgorithm: algorithm });
  return csr.toString('pem');
}

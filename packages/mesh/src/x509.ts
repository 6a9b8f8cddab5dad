// @peculiar/x509 resolves its parsers through tsyringe, which needs the Reflect metadata API:
// load the polyfill before the library, in this one module that every other file imports from.
import 'reflect-metadata';
import { cryptoProvider } from '@peculiar/x509';

cryptoProvider.set(globalThis.crypto);

export {
  AuthorityKeyIdentifierExtension,
  BasicConstraintsExtension,
  ExtendedKeyUsage,
  ExtendedKeyUsageExtension,
  KeyUsageFlags,
  KeyUsagesExtension,
  Pkcs10CertificateRequest,
  Pkcs10CertificateRequestGenerator,
  SubjectAlternativeNameExtension,
  SubjectKeyIdentifierExtension,
  X509Certificate,
  X509CertificateGenerator,
  type JsonGeneralName,
} from '@peculiar/x509';

// Library entry for in-process use (entry-offline): the server class, its option and event
// types, the IPC message maps and constants, and the certificate loader.

export { decryptText, encryptText } from './crypto/passphrase-cipher';
export { EntryServer, type EntryServerEvents, type EntryServerOptions } from './entry-server';
export * from './ipc/messages';
export {
  type CertificateFiles,
  type LoadedCertificate,
  loadCertificate,
  readCertificateDirectory,
} from './listener/certificates';
export type { ModuleHandlers, StatusBody } from './listener/http-routes';

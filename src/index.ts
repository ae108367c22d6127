// Library entry for in-process use (entry-offline): the server class, its option and event
// types, the IPC message maps and constants, and the certificate loader.

export {
  type CertificateFiles,
  type LoadedCertificate,
  loadCertificate,
  readCertificateDirectory,
} from './crypto/certificates';
export { decryptText, encryptText } from './crypto/passphrase-cipher';
export type { ModuleHandlers, StatusBody } from './host/listener/http-routes';
export * from './ipc/messages';
export { EntryServer, type EntryServerEvents, type EntryServerOptions } from './server/entry-server';

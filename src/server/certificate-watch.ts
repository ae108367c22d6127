// The certificate's expiry, watched for as long as the process runs: reported to the parent at
// `open` and whenever its state changes on the hourly check (a server left running for days still
// warns before and at expiry), and the answer to "may the next host serve TLS with it".

import { type CertificateHealth, certificateHealth, type LoadedCertificate } from '../crypto/certificates';
import type { ServerErrorInfo } from '../ipc/messages';
import type { Logger } from '../util/log';

/** How often a running server re-checks its certificate's expiry. */
export const CERTIFICATE_CHECK_MS = 60 * 60 * 1000;

export interface CertificateWatchOptions {
  /** Undefined: plain http/ws only. */
  certificate: LoadedCertificate | undefined;
  /** True when plain-only was asked for (the `http` option), for the log line. */
  plainOnlyByOption: boolean;
  logger: Logger;
  report: (info: ServerErrorInfo) => void;
  /** Whether the current host serves TLS (the expiry message says what browsers do now). */
  tlsActive: () => boolean;
  checkMs?: number;
}

/**
 * Watches one certificate.
 *
 * @example
 * const watch = new CertificateWatch({ certificate, plainOnlyByOption: false, logger, report, tlsActive });
 * watch.start();  // reports CERT_EXPIRING_SOON / CERT_EXPIRED now and on each change
 * watch.usable(); // the certificate, or undefined once it has expired
 * watch.stop();
 */
export class CertificateWatch {
  private state: CertificateHealth['state'] | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly options: CertificateWatchOptions) {}

  /** Checks now and, unless already expired, every `checkMs` (the timer does not keep Node alive). */
  start(): void {
    const { certificate, logger } = this.options;
    if (!certificate) {
      logger.info(
        this.options.plainOnlyByOption
          ? 'serving plain http/ws only (http option)'
          : 'no certificate: serving plain http/ws only',
      );
      return;
    }
    this.check(certificate);
  }

  /** The certificate a new host may serve TLS with: none once it has expired. */
  usable(): LoadedCertificate | undefined {
    const { certificate } = this.options;
    if (!certificate || certificateHealth(certificate.notAfter).state === 'expired') return undefined;
    return certificate;
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private check(certificate: LoadedCertificate): void {
    const health = certificateHealth(certificate.notAfter);
    if (health.state === this.state) return;
    this.state = health.state;
    const until = certificate.notAfter.toISOString();
    if (health.state === 'expired') {
      const effect = this.options.tlsActive()
        ? 'browsers now fall back to ws://127.0.0.1 on the same port'
        : 'serving plain http/ws only';
      this.options.report({
        code: 'CERT_EXPIRED',
        message: `the certificate expired on ${until}; ${effect}`,
      });
    } else if (health.state === 'expiring-soon') {
      this.options.report({
        code: 'CERT_EXPIRING_SOON',
        message: `the certificate expires on ${until} (${health.daysLeft} days left)`,
      });
    }
    if (!this.timer && health.state !== 'expired') {
      this.timer = setInterval(() => this.check(certificate), this.options.checkMs ?? CERTIFICATE_CHECK_MS);
      this.timer.unref();
    }
  }
}

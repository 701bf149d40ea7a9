import type { Association } from '@netdicom/association';
import {
  loggingOptions,
  parseAeTitle,
  parseCommandLine,
  parseDimseTimeout,
  parseHostPort,
  parseInteger,
  parseSeconds,
  requestorIdentity,
  requestorOptions,
  requestorTls,
  stringOption,
} from '../args.js';
import { describeConnectFailure } from '../describe.js';
import { CliError, UsageError } from '../errors.js';
import type { Command } from '../main.js';
import { createLogger, formatStatusCode, type Io, resolveLogLevel } from '../output.js';
import { traceProtocol } from '../trace.js';

/** `1500` -> `1.5 s`. */
function formatSeconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(3))} s`;
}

/** Verification SOP Class, PS3.4 Annex A. */
const VERIFICATION_SOP_CLASS = '1.2.840.10008.1.1';
const EXPLICIT_VR_LITTLE_ENDIAN = '1.2.840.10008.1.2.1';
const IMPLICIT_VR_LITTLE_ENDIAN = '1.2.840.10008.1.2';

const help = `Usage: netdicom echo HOST:PORT [options]

Sends C-ECHO (DICOM Verification) to HOST:PORT and prints the round-trip time.
Exit status: 0 when the peer answered Success, 1 when it answered another status or
did not answer, 2 for usage errors or when no association could be made.

Options:
  --called AET        called AE title (the peer's; default ANY-SCP)
  --aet AET           calling AE title (ours; default ECHOSCU)
  --timeout S         connect and association set-up timeout in seconds (default 10)
  --count N           send N echoes on the association and report min/avg/max (default 1)
  --dimse-timeout S   wait at most S seconds for each C-ECHO response (0: no limit; default:
                      the --timeout value bounds the silence)
  --tls               use TLS (certificates verified against Node.js's bundled CA list or --tls-ca)
  --tls-ca FILE       trust this CA certificate (PEM)
  --tls-cert FILE     client certificate (PEM), with --tls-key
  --tls-key FILE      client private key (PEM)
  --tls-insecure      do not verify the server certificate (testing only)
  --username NAME     send a user identity (with --password for username+passcode)
  --password PASS     passcode for --username
  --jwt TOKEN         send a JSON Web Token as user identity
  --max-pdu N         maximum PDU length we receive, in bytes
  -v, --verbose       more detail (-v associations and messages, -vv every PDU)
  --log-level LEVEL   error, warn, info, debug or trace
  -h, --help          show this help

Examples:
  netdicom echo 127.0.0.1:11112
  netdicom echo pacs.example.org:104 --called PACS --aet MY-WORKSTATION
  netdicom echo pacs.example.org:2762 --called PACS --tls --tls-ca hospital-ca.pem
`;

export const echoCommand: Command = {
  name: 'echo',
  summary: 'verify a DICOM peer answers (C-ECHO), with round-trip time',
  help,
  async run(argv: readonly string[], io: Io): Promise<number> {
    const { values, positionals } = parseCommandLine('echo', argv, {
      ...requestorOptions,
      ...loggingOptions,
      count: { type: 'string' },
      'dimse-timeout': { type: 'string' },
    });
    if (positionals.length !== 1) throw new UsageError(`echo takes one HOST:PORT (see 'netdicom echo --help')`);
    const target = parseHostPort(positionals[0]!, 'HOST:PORT');
    const calledAeTitle = parseAeTitle(stringOption(values, 'called', 'ANY-SCP'), '--called');
    const callingAeTitle = parseAeTitle(stringOption(values, 'aet', 'ECHOSCU'), '--aet');
    const timeoutMs = parseSeconds(stringOption(values, 'timeout', '10'), '--timeout');
    const count = parseInteger(stringOption(values, 'count', '1'), '--count', 1, 1_000_000);
    const dimseTimeoutText = stringOption(values, 'dimse-timeout');
    const responseTimeoutMs =
      dimseTimeoutText === undefined ? undefined : parseDimseTimeout(dimseTimeoutText, '--dimse-timeout');
    const maxPdu = stringOption(values, 'max-pdu');
    const tls = requestorTls(values);
    const userIdentity = requestorIdentity(values);
    const log = createLogger(io.stderr, resolveLogLevel(values));
    const stopTrace = traceProtocol(log);
    const where = `${target.host}:${target.port}`;

    try {
      // Loaded only now: other commands and `--help` need none of it (start-up time, memory).
      const [{ connect }, { createDimseClient, ResponseTimeoutError }] = await Promise.all([
        import('@netdicom/association'),
        import('@netdicom/dimse'),
      ]);
      let association: Association;
      try {
        association = await connect({
          host: target.host,
          port: target.port,
          callingAeTitle,
          calledAeTitle,
          presentationContexts: [
            {
              abstractSyntax: VERIFICATION_SOP_CLASS,
              transferSyntaxes: [EXPLICIT_VR_LITTLE_ENDIAN, IMPLICIT_VR_LITTLE_ENDIAN],
            },
          ],
          // Without --dimse-timeout, the idle timer (--timeout) bounds the wait for an answer; with it, that flag does.
          timeouts: { connect: timeoutMs, artim: timeoutMs, idle: responseTimeoutMs === undefined ? timeoutMs : 0 },
          ...(maxPdu === undefined ? {} : { maxPduLength: parseInteger(maxPdu, '--max-pdu', 4096, 0x7fffffff) }),
          ...(tls === undefined ? {} : { tls }),
          ...(userIdentity === undefined ? {} : { userIdentity }),
        });
      } catch (error) {
        throw new CliError(describeConnectFailure(error, where), {
          code: 'ERR_NETDICOM_CLI_NO_ASSOCIATION',
          exitCode: 2,
          cause: error,
        });
      }
      if (!association.negotiated.presentationContexts.some((c) => c.result === 0)) {
        await association.abort();
        throw new CliError(`${where}: the peer does not accept Verification (C-ECHO)`, {
          code: 'ERR_NETDICOM_CLI_NO_CONTEXT',
          exitCode: 2,
        });
      }
      const client = createDimseClient(association, responseTimeoutMs ? { responseTimeout: responseTimeoutMs } : {});
      const times: number[] = [];
      let worst = 0;
      try {
        for (let i = 0; i < count; i++) {
          const started = performance.now();
          let response: Awaited<ReturnType<typeof client.echo>>;
          try {
            response = await client.echo();
          } catch (error) {
            const why =
              error instanceof ResponseTimeoutError
                ? `no response within ${formatSeconds(responseTimeoutMs ?? 0)}; the association was aborted`
                : `no response: ${error instanceof Error ? error.message : String(error)}`;
            throw new CliError(`${where} (${calledAeTitle}): C-ECHO ${i + 1} got ${why}`, {
              code: 'ERR_NETDICOM_CLI_NO_RESPONSE',
              exitCode: 1,
              cause: error,
            });
          }
          const ms = performance.now() - started;
          times.push(ms);
          const status = response.status;
          const line = `${where} (${calledAeTitle}) answered C-ECHO in ${ms.toFixed(1)} ms: ${status.name} (${formatStatusCode(status.code)})`;
          if (status.category === 'success') log.info(line);
          else {
            log.error(line);
            worst = 1;
          }
        }
      } finally {
        // After a response timeout the association is already aborted and may wait (ARTIM) for a silent peer to
        // close the connection: the process exits without waiting for it (bin/netdicom.js).
        if (association.state === 'Sta6') await association.release().catch(() => association.abort());
        else void association.abort();
      }
      if (count > 1) {
        const avg = times.reduce((a, b) => a + b, 0) / times.length;
        log.info(
          `${count} echoes: min ${Math.min(...times).toFixed(1)} ms, avg ${avg.toFixed(1)} ms, max ${Math.max(...times).toFixed(1)} ms`,
        );
      }
      return worst;
    } finally {
      stopTrace();
    }
  },
};

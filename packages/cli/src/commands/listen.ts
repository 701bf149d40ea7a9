import { resolve } from 'node:path';
import type { StoreScpOptions } from '@netdicom/store-scp';
import {
  loggingOptions,
  parseAeTitle,
  parseCommandLine,
  parseInteger,
  parsePort,
  parseSeconds,
  readOptionFile,
  stringOption,
} from '../args.js';
import { UsageError } from '../errors.js';
import type { Command } from '../main.js';
import { createLogger, formatBytes, type Io, resolveLogLevel } from '../output.js';
import { traceProtocol } from '../trace.js';

const help = `Usage: netdicom listen [options] [--exec-on-reception CMD [ARG...]]

Runs a DICOM Storage SCP (and Verification SCP). Each instance is written to a
temporary file, fsynced and renamed into place before Success is answered.
Prints one line when it accepts connections, one per association and one per
stored instance. SIGINT/SIGTERM stop it cleanly: stores in flight finish first.

Options:
  --port N                  TCP port (default 11112)
  --host H                  address to listen on (default 0.0.0.0)
  --aet AET                 our AE title; associations calling another one are rejected (default NETDICOM)
  --any-called              accept any called AE title
  --dir DIR                 storage directory (default ./dicom-data)
  --layout L                flat, study, patient, or a template such as
                            '{PatientID}/{StudyInstanceUID}/{SeriesInstanceUID}/{SOPInstanceUID}.dcm'
                            (default study)
  --duplicates P            overwrite, keep-first or keep-both (default overwrite)
  --accept-calling AET,...  accept only these calling AE titles
  --max-associations N      simultaneous associations (default 64); beyond: A-ASSOCIATE-RJ transient
  --max-object-size BYTES   refuse larger objects with Out of Resources
  --idle-timeout S          close associations silent for S seconds (default 60)
  --no-fsync                answer Success before the data is durable, as DCMTK storescp does
                            (benchmarks and throwaway data only: a crash can lose acknowledged images)
  --tls-key FILE --tls-cert FILE [--tls-ca FILE] [--require-client-cert]
                            accept TLS (1.2 or later) instead of plain TCP
  --exec-on-reception CMD [ARG...]
                            run CMD (no shell) after each stored instance; everything after this flag
                            is the command. Placeholders in arguments: {path} {sopInstanceUid}
                            {sopClassUid} {studyInstanceUid} {seriesInstanceUid} {patientId}
                            {callingAeTitle} {transferSyntax}
  -v, --verbose             more detail (-v association negotiation, -vv every PDU)
  --log-level LEVEL         error, warn, info, debug or trace
  -h, --help                show this help

Examples:
  netdicom listen
  netdicom listen --port 104 --aet ARCHIVE --dir /srv/dicom --layout patient
  netdicom listen --accept-calling CT01,MR02 --max-associations 16
  netdicom listen --exec-on-reception ./notify.sh {path} {studyInstanceUid}
`;

/** Splits argv at `--exec-on-reception`: what follows is the command, taken literally. */
export function splitExec(argv: readonly string[]): { own: string[]; exec: string[] | undefined } {
  const at = argv.indexOf('--exec-on-reception');
  if (at < 0) return { own: [...argv], exec: undefined };
  let exec = argv.slice(at + 1);
  if (exec[0] === '--') exec = exec.slice(1);
  if (exec.length === 0) throw new UsageError('--exec-on-reception needs a command to run');
  return { own: argv.slice(0, at), exec };
}

export const listenCommand: Command = {
  name: 'listen',
  summary: 'run a Storage SCP that stores durably into a folder',
  help,
  async run(argv: readonly string[], io: Io): Promise<number> {
    const { own, exec } = splitExec(argv);
    const { values, positionals } = parseCommandLine('listen', own, {
      ...loggingOptions,
      port: { type: 'string' },
      host: { type: 'string' },
      aet: { type: 'string' },
      'any-called': { type: 'boolean' },
      dir: { type: 'string' },
      layout: { type: 'string' },
      duplicates: { type: 'string' },
      'accept-calling': { type: 'string' },
      'max-associations': { type: 'string' },
      'max-object-size': { type: 'string' },
      'idle-timeout': { type: 'string' },
      'no-fsync': { type: 'boolean' },
      'tls-key': { type: 'string' },
      'tls-cert': { type: 'string' },
      'tls-ca': { type: 'string' },
      'require-client-cert': { type: 'boolean' },
    });
    if (positionals.length > 0) throw new UsageError(`listen takes no arguments, got '${positionals[0]}'`);
    const port = parsePort(stringOption(values, 'port', '11112'), '--port', true);
    const host = stringOption(values, 'host', '0.0.0.0');
    const aeTitle = parseAeTitle(stringOption(values, 'aet', 'NETDICOM'), '--aet');
    const storageDir = resolve(stringOption(values, 'dir', './dicom-data'));
    const layout = stringOption(values, 'layout', 'study');
    const duplicates = stringOption(values, 'duplicates', 'overwrite');
    if (!['overwrite', 'keep-first', 'keep-both'].includes(duplicates)) {
      throw new UsageError(`--duplicates: '${duplicates}' is not one of overwrite, keep-first, keep-both`);
    }
    const acceptCalling = stringOption(values, 'accept-calling')
      ?.split(',')
      .map((s) => parseAeTitle(s, '--accept-calling'));
    const maxAssociations = parseInteger(
      stringOption(values, 'max-associations', '64'),
      '--max-associations',
      1,
      100_000,
    );
    const maxObjectSizeText = stringOption(values, 'max-object-size');
    const idleTimeoutMs = parseSeconds(stringOption(values, 'idle-timeout', '60'), '--idle-timeout');
    const tlsKey = stringOption(values, 'tls-key');
    const tlsCert = stringOption(values, 'tls-cert');
    const tlsCa = stringOption(values, 'tls-ca');
    if ((tlsKey === undefined) !== (tlsCert === undefined))
      throw new UsageError('--tls-key and --tls-cert go together');
    if (tlsKey === undefined && (tlsCa !== undefined || values['require-client-cert'] === true)) {
      throw new UsageError('--tls-ca and --require-client-cert need --tls-key and --tls-cert');
    }

    const log = createLogger(io.stderr, resolveLogLevel(values));
    const stopTrace = traceProtocol(log);

    const options: StoreScpOptions = {
      aeTitle,
      port,
      host,
      storageDir,
      layout,
      duplicates: duplicates as 'overwrite' | 'keep-first' | 'keep-both',
      checkCalledAeTitle: values['any-called'] !== true,
      maxAssociations,
      timeouts: { idle: idleTimeoutMs },
      ...(values['no-fsync'] === true ? { fsync: false } : {}),
      ...(acceptCalling === undefined ? {} : { acceptCallingAeTitles: acceptCalling }),
      ...(maxObjectSizeText === undefined
        ? {}
        : { maxObjectSize: parseInteger(maxObjectSizeText, '--max-object-size', 1) }),
      ...(exec === undefined ? {} : { execOnReception: exec }),
      ...(tlsKey === undefined || tlsCert === undefined
        ? {}
        : {
            tls: {
              key: readOptionFile(tlsKey, '--tls-key'),
              cert: readOptionFile(tlsCert, '--tls-cert'),
              ...(tlsCa === undefined ? {} : { ca: readOptionFile(tlsCa, '--tls-ca') }),
              requireClientCertificate: values['require-client-cert'] === true,
            },
          }),
    };
    // Loaded only now: other commands and `--help` need none of it (start-up time, memory).
    const { StoreScp } = await import('@netdicom/store-scp');
    const scp = new StoreScp(options);
    const subscriptions = [
      scp.associations$.subscribe((a) => {
        log.info(`association from ${a.callingAeTitle} at ${a.remoteAddress}:${a.remotePort} to ${a.calledAeTitle}`);
      }),
      scp.associationEnded$.subscribe((a) => {
        log.info(
          `association from ${a.callingAeTitle} ended (${a.reason}): ${a.instances.length} instance${a.instances.length === 1 ? '' : 's'}`,
        );
      }),
      scp.received$.subscribe((i) => {
        log.info(`stored ${i.relativePath} (${formatBytes(i.bytes)}, from ${i.callingAeTitle})`);
      }),
      scp.rejected$.subscribe((r) => {
        log.warn(`refused ${r.remoteAddress}: ${r.reason}`);
      }),
      scp.errors$.subscribe((e) => {
        log.error(e.message);
      }),
    ];

    const address = await scp.listen();
    if (values['no-fsync'] === true) {
      log.warn('--no-fsync: Success is answered before instances are durable; a crash can lose acknowledged images');
    }
    log.info(
      `netdicom listening on ${address.address}:${address.port} as ${aeTitle}${options.tls ? ' (TLS)' : ''}, storing to ${storageDir}`,
    );

    await new Promise<void>((resolveStop) => {
      const stop = (signal: NodeJS.Signals) => {
        process.off('SIGINT', stop);
        process.off('SIGTERM', stop);
        log.info(`${signal}: closing; stores in flight finish first`);
        resolveStop();
      };
      process.on('SIGINT', stop);
      process.on('SIGTERM', stop);
    });
    await scp.close();
    for (const s of subscriptions) s.unsubscribe();
    stopTrace();
    log.info('stopped');
    return 0;
  },
};

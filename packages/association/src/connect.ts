/**
 * The association-requestor's entry points, PS3.8 7.1.2: `connect` (a Promise) and `openAssociation` (an Observable
 * tied to a subscription).
 */
import { connect as netConnect } from 'node:net';
import type { Duplex } from 'node:stream';
import { type ConnectionOptions, connect as tlsConnect, type SecureVersion } from 'node:tls';
import { Observable } from 'rxjs/internal/Observable';
import { type TransportConnector, UlAssociation, resolveTimeouts } from './association.js';
import { AssociationCancelledError, AssociationClosedError, AssociationOptionsError } from './errors.js';
import { buildAssociateRq, MAX_PDU_LENGTH_TO_SEND_CAP, resolveMaxPduLength } from './negotiation.js';
import type { Association, ConnectOptions } from './types.js';

const TLS_VERSIONS: readonly SecureVersion[] = ['TLSv1', 'TLSv1.1', 'TLSv1.2', 'TLSv1.3'];

/** Raises a TLS minimum below 1.2 to 1.2 (PS3.15 B.1 profiles, BCP 195). */
export function atLeastTls12(version: SecureVersion | undefined): SecureVersion {
  if (version === undefined) return 'TLSv1.2';
  return TLS_VERSIONS.indexOf(version) < TLS_VERSIONS.indexOf('TLSv1.2') ? 'TLSv1.2' : version;
}

function connectorFor(options: ConnectOptions): TransportConnector {
  const tls = options.tls;
  const given = options.socket;
  if (given === undefined && (options.port === undefined || !Number.isInteger(options.port))) {
    throw new AssociationOptionsError('connect needs a port (and host), or a connected socket');
  }
  const host = options.host ?? 'localhost';
  const describe = given ? 'the given socket' : `${host}:${options.port}`;
  if (tls) {
    const tlsOptions: ConnectionOptions = {
      ...tls,
      minVersion: atLeastTls12(tls.minVersion),
      ...(given ? { socket: given } : { host, port: options.port }),
      ...(tls.servername === undefined && !given && !/^[\d.:]+$/.test(host) ? { servername: host } : {}),
    };
    return { describe, isTls: true, open: () => ({ socket: tlsConnect(tlsOptions), readyEvent: 'secureConnect' }) };
  }
  if (given) {
    return {
      describe,
      isTls: false,
      open: () => ({
        socket: given,
        readyEvent: (given as Duplex & { connecting?: boolean }).connecting ? 'connect' : null,
      }),
    };
  }
  return {
    describe,
    isTls: false,
    open: () => ({ socket: netConnect({ host, port: options.port as number }), readyEvent: 'connect' }),
  };
}

/**
 * Opens an association as requestor (PS3.8 7.1.2): connects (TCP or TLS, or over `options.socket`), sends the
 * A-ASSOCIATE-RQ and resolves with the {@link Association} once the A-ASSOCIATE-AC arrives. Rejects with
 * `AssociationRejectedError` (result/source/reason of the A-ASSOCIATE-RJ), `AssociationTransportError`,
 * `AssociationTlsError`, `AssociationTimeoutError`, `AssociationProviderAbortError`, `AssociationOptionsError`, or
 * `AssociationCancelledError` (signal).
 *
 * @example
 * const association = await connect({ host: '127.0.0.1', port: 11112, callingAeTitle: 'ME', calledAeTitle: 'PACS',
 *   presentationContexts: [{ abstractSyntax: '1.2.840.10008.1.1', transferSyntaxes: ['1.2.840.10008.1.2'] }] });
 * await association.release();
 */
export async function connect(options: ConnectOptions): Promise<Association> {
  const request = buildAssociateRq(options);
  const timeouts = resolveTimeouts(options.timeouts);
  const sendCap = options.maxPduLengthToSendCap ?? MAX_PDU_LENGTH_TO_SEND_CAP;
  if (!Number.isInteger(sendCap) || sendCap < 1024) {
    throw new AssociationOptionsError(`maxPduLengthToSendCap must be an integer >= 1024, got ${sendCap}`);
  }
  const connector = connectorFor(options);
  if (options.signal?.aborted) {
    throw new AssociationCancelledError('Cancelled by the AbortSignal before connecting', {
      cause: options.signal.reason,
    });
  }
  const association = new UlAssociation({
    role: 'requestor',
    timeouts,
    maxPduLength: resolveMaxPduLength(options.maxPduLength),
    sendCap,
    splitPData: options.splitPData === true,
    ...(options.onReleaseRequest ? { onReleaseRequest: options.onReleaseRequest } : {}),
  });
  try {
    return await association.establish(request, connector, options.signal);
  } catch (error) {
    if (options.signal?.aborted) {
      throw new AssociationCancelledError('Cancelled by the AbortSignal', { cause: error });
    }
    throw error;
  }
}

/**
 * The association as an Observable (PS3.8 7.1, 7.2): subscribing connects and emits the {@link Association} once
 * accepted; unsubscribing releases it (falling back to abort after `timeouts.release`), or cancels a pending
 * attempt. Completes when the association is released; errors if it ends any other way or cannot be opened.
 */
export function openAssociation(options: ConnectOptions): Observable<Association> {
  return new Observable<Association>((subscriber) => {
    const controller = new AbortController();
    const signal = options.signal ? AbortSignal.any([options.signal, controller.signal]) : controller.signal;
    let association: Association | undefined;
    let unsubscribed = false;
    connect({ ...options, signal }).then(
      (opened) => {
        association = opened;
        if (unsubscribed) {
          opened.release().catch(() => undefined);
          return;
        }
        subscriber.next(opened);
        void opened.closed.then((closed) => {
          if (closed.reason === 'released') subscriber.complete();
          else subscriber.error(closed.error ?? new AssociationClosedError(`The association ended (${closed.reason})`));
        });
      },
      (error: unknown) => {
        if (!unsubscribed) subscriber.error(error);
      },
    );
    return () => {
      unsubscribed = true;
      if (association) association.release().catch(() => undefined);
      else controller.abort();
    };
  });
}

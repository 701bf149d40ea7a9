/**
 * The association-acceptor, PS3.8 7.1.2 and 9.1.2: listens on TCP or TLS, runs one state machine per connection,
 * decides on each A-ASSOCIATE-RQ, and emits the established associations.
 */
import { type AddressInfo, createServer as createNetServer, type Server, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { createServer as createTlsServer, type TLSSocket, type TlsOptions } from 'node:tls';
import { RejectReason, RejectResult, RejectSource } from '@netdicom/pdu';
import type { Observable } from 'rxjs/internal/Observable';
import { Subject } from 'rxjs/internal/Subject';
import { UlAssociation, remoteInfo, resolveTimeouts } from './association.js';
import { atLeastTls12 } from './connect.js';
import { AssociationOptionsError } from './errors.js';
import { MAX_PDU_LENGTH_TO_SEND_CAP, resolveMaxPduLength } from './negotiation.js';
import { type AssociationRequestHandler, type AssociationRequestInfo, createAcceptancePolicy } from './policy.js';
import type { Association, AssociationTimeouts } from './types.js';

/** The Verification SOP Class, PS3.4 A.4. */
const VERIFICATION_SOP_CLASS = '1.2.840.10008.1.1';

/** Options of {@link createAssociationServer}. */
export interface AssociationServerOptions {
  /** Serve TLS (PS3.15 B.1): TLS 1.2 minimum; set `requestCert`/`ca` for client certificates. */
  readonly tls?: TlsOptions;
  /** Our Maximum Length Received (PS3.8 D.1). */
  readonly maxPduLength?: number;
  readonly timeouts?: AssociationTimeouts;
  /**
   * Most connections served at once (default 100). A request beyond it is rejected: rejected-transient, source 3
   * (service-provider, presentation), reason 2 local-limit-exceeded (PS3.8 Table 9-21).
   */
  readonly maxAssociations?: number;
  /**
   * Decides on each request (PS3.8 7.1.2.3). Default: {@link createAcceptancePolicy} accepting the Verification SOP
   * Class in any transfer syntax. A request whose application context is not DICOM's is rejected before this is
   * called (PS3.8 Table 9-21, reason 2). If it throws, the request is rejected transient/no-reason-given.
   */
  readonly onAssociationRequest?: AssociationRequestHandler;
  /** Installed as each association's `onReleaseRequest` (PS3.8 7.2). */
  readonly onReleaseRequest?: (association: Association) => void | Promise<void>;
  /** Caps the PDUs we send even below the peer's maximum (default 1 MiB). */
  readonly maxPduLengthToSendCap?: number;
  /**
   * Hand a P-DATA-TF that spans socket reads to each association's `pData$` in parts, as views of the reads, instead of copying it
   * together (default false). A PDV cut by a read boundary then arrives as several PDVs with the same presentation
   * context and command bit, the last-fragment bit on the final part only: the same message for a DIMSE layer that
   * joins fragments (PS3.8 E.2; `@netdicom/dimse` does), one copy of every byte received fewer. While
   * `netdicom:pdu:received` has a subscriber when the association is created, PDUs stay whole, as traced.
   */
  readonly splitPData?: boolean;
  readonly implementationClassUid?: string;
  readonly implementationVersionName?: string;
}

/** An association-acceptor (PS3.8 7.1.2). */
export interface AssociationServer {
  /** Starts listening; resolves with the bound address (port 0 picks a free one). */
  listen(port: number, host?: string): Promise<AddressInfo>;
  /** Stops listening, aborts the associations still open and resolves once every connection is closed. */
  close(): Promise<void>;
  /** Serves an already accepted connection (TLS, if wanted, must already be layered on it). */
  handle(socket: Duplex, info?: Partial<AssociationRequestInfo>): void;
  /** Established associations (after the A-ASSOCIATE-AC went out). Completes on `close()`. */
  readonly associations$: Observable<Association>;
  /** Connections being served now (any state). */
  readonly connectionCount: number;
}

/**
 * Creates an association-acceptor (PS3.8 7.1.2, 9.1.2). Each accepted connection gets its own PS3.8 9.2 machine
 * (AE-5: ARTIM runs until the A-ASSOCIATE-RQ arrives).
 *
 * @example
 * const server = createAssociationServer({
 *   onAssociationRequest: createAcceptancePolicy({ abstractSyntaxes: ['1.2.840.10008.1.1'], transferSyntaxes: 'any' }),
 * });
 * server.associations$.subscribe((association) => association.pData$.subscribe(...));
 * const { port } = await server.listen(0, '127.0.0.1');
 */
export function createAssociationServer(options: AssociationServerOptions = {}): AssociationServer {
  const timeouts = resolveTimeouts(options.timeouts);
  const maxPduLength = resolveMaxPduLength(options.maxPduLength);
  const maxAssociations = options.maxAssociations ?? 100;
  if (!Number.isInteger(maxAssociations) || maxAssociations < 1) {
    throw new AssociationOptionsError(`maxAssociations must be a positive integer, got ${maxAssociations}`);
  }
  const sendCap = options.maxPduLengthToSendCap ?? MAX_PDU_LENGTH_TO_SEND_CAP;
  const decide =
    options.onAssociationRequest ??
    createAcceptancePolicy({ abstractSyntaxes: [VERIFICATION_SOP_CLASS], transferSyntaxes: 'any' });
  const associations$ = new Subject<Association>();
  const live = new Set<UlAssociation>();
  let server: Server | undefined;
  let closing = false;

  function handle(socket: Duplex, extra: Partial<AssociationRequestInfo> = {}): void {
    if (closing) {
      socket.destroy();
      return;
    }
    const association = new UlAssociation({
      role: 'acceptor',
      timeouts,
      maxPduLength,
      sendCap,
      splitPData: options.splitPData === true,
    });
    const onRelease = options.onReleaseRequest;
    if (onRelease) association.onReleaseRequest = () => onRelease(association);
    live.add(association);
    void association.closed.then(() => live.delete(association));
    const info: AssociationRequestInfo = { ...remoteInfo(socket), ...extra };
    association.accept(socket, {
      decide,
      info,
      providerCheck: () =>
        live.size > maxAssociations
          ? {
              kind: 'A-ASSOCIATE-RJ',
              result: RejectResult.RejectedTransient,
              source: RejectSource.ServiceProviderPresentation,
              reason: RejectReason.LocalLimitExceeded,
            }
          : undefined,
      ...(options.implementationClassUid ? { implementationClassUid: options.implementationClassUid } : {}),
      ...(options.implementationVersionName ? { implementationVersionName: options.implementationVersionName } : {}),
      onEstablished: (established) => {
        if (!associations$.closed) associations$.next(established);
      },
    });
  }

  return {
    associations$: associations$.asObservable(),
    get connectionCount() {
      return live.size;
    },
    handle,
    listen(port, host) {
      if (server) return Promise.reject(new AssociationOptionsError('The server is already listening'));
      if (options.tls) {
        const tlsServer = createTlsServer({
          ...options.tls,
          minVersion: atLeastTls12(options.tls.minVersion),
          ...(timeouts.artim > 0 ? { handshakeTimeout: timeouts.artim } : {}),
        });
        tlsServer.on('secureConnection', (socket: TLSSocket) => {
          const peerCertificate = socket.getPeerCertificate();
          handle(socket, {
            tlsAuthorized: socket.authorized,
            ...(peerCertificate && Object.keys(peerCertificate).length > 0 ? { peerCertificate } : {}),
          });
        });
        // A failed handshake (plain DICOM on a TLS port, old TLS versions, refused certificates) only closes that
        // connection.
        tlsServer.on('tlsClientError', (_error, socket) => socket.destroy());
        server = tlsServer;
      } else {
        server = createNetServer((socket: Socket) => handle(socket));
      }
      const listening = server;
      return new Promise<AddressInfo>((resolve, reject) => {
        listening.once('error', reject);
        listening.listen(port, host, () => {
          listening.off('error', reject);
          listening.on('error', () => undefined);
          resolve(listening.address() as AddressInfo);
        });
      });
    },
    async close() {
      closing = true;
      const listening = server;
      const stopped = listening ? new Promise<void>((resolve) => listening.close(() => resolve())) : Promise.resolve();
      await Promise.all([...live].map((association) => association.abort()));
      await stopped;
      associations$.complete();
    },
  };
}

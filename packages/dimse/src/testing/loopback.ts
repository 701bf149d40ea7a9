/**
 * Our DIMSE client against our DIMSE server over real TCP on 127.0.0.1 (ephemeral port), through the real
 * `@netdicom/association` on both sides. Test code only.
 */
import {
  type Association,
  type AssociationServer,
  connect,
  createAcceptancePolicy,
  createAssociationServer,
} from '@netdicom/association';
import { type DimseClient, type DimseClientOptions, createDimseClient } from '../client.js';
import { createDimseServer, type DimseServer, type DimseServerHandlers, type DimseServerOptions } from '../server.js';

export const VERIFICATION = '1.2.840.10008.1.1';
export const CT_IMAGE_STORAGE = '1.2.840.10008.5.1.4.1.1.2';
export const SECONDARY_CAPTURE = '1.2.840.10008.5.1.4.1.1.7';
export const IMPLICIT = '1.2.840.10008.1.2';
export const EXPLICIT = '1.2.840.10008.1.2.1';
export const BIG_ENDIAN = '1.2.840.10008.1.2.2';
export const DEFLATED = '1.2.840.10008.1.2.1.99';
export const JPEG_BASELINE = '1.2.840.10008.1.2.4.50';

/** Options of {@link startLoopback}. */
export interface LoopbackOptions {
  readonly handlers?: DimseServerHandlers;
  readonly serverOptions?: DimseServerOptions;
  readonly clientOptions?: DimseClientOptions;
  /** Abstract syntax -> transfer syntaxes proposed (each in its own context). Default: Verification + CT, explicit/implicit. */
  readonly contexts?: readonly { abstractSyntax: string; transferSyntaxes: readonly string[] }[];
  /** What the acceptor accepts, in preference order. Default 'any'. */
  readonly acceptTransferSyntaxes?: readonly string[] | 'any';
  readonly window?: { maxOperationsInvoked: number; maxOperationsPerformed: number };
  /** Maximum Length Received of the client / the server. */
  readonly clientMaxPdu?: number;
  readonly serverMaxPdu?: number;
  /** Called with the server's port before the client connects (e.g. to start a capture). */
  readonly beforeConnect?: (port: number) => Promise<void>;
}

/** A connected client/server pair. */
export interface Loopback {
  readonly client: DimseClient;
  readonly clientAssociation: Association;
  readonly server: DimseServer;
  readonly serverAssociation: Association;
  readonly associationServer: AssociationServer;
  readonly port: number;
  close(): Promise<void>;
}

/** Starts an association server serving DIMSE with `handlers`, connects to it, and creates a client. */
export async function startLoopback(options: LoopbackOptions = {}): Promise<Loopback> {
  const contexts = options.contexts ?? [
    { abstractSyntax: VERIFICATION, transferSyntaxes: [EXPLICIT, IMPLICIT] },
    { abstractSyntax: CT_IMAGE_STORAGE, transferSyntaxes: [EXPLICIT, IMPLICIT] },
  ];
  const servers: DimseServer[] = [];
  const accepted: Association[] = [];
  const associationServer = createAssociationServer({
    ...(options.serverMaxPdu === undefined ? {} : { maxPduLength: options.serverMaxPdu }),
    onAssociationRequest: createAcceptancePolicy({
      abstractSyntaxes: 'any',
      transferSyntaxes: options.acceptTransferSyntaxes ?? 'any',
      ...(options.window === undefined ? {} : { asynchronousOperationsWindow: options.window }),
    }),
  });
  const acceptedOne = new Promise<void>((resolve) => {
    associationServer.associations$.subscribe((association) => {
      accepted.push(association);
      servers.push(createDimseServer(association, options.handlers ?? {}, options.serverOptions ?? {}));
      resolve();
    });
  });
  const address = await associationServer.listen(0, '127.0.0.1');
  await options.beforeConnect?.(address.port);
  const clientAssociation = await connect({
    host: '127.0.0.1',
    port: address.port,
    callingAeTitle: 'NETDICOM_SCU',
    calledAeTitle: 'NETDICOM_SCP',
    presentationContexts: contexts.flatMap((c) =>
      c.transferSyntaxes.map((ts) => ({ abstractSyntax: c.abstractSyntax, transferSyntaxes: [ts] })),
    ),
    ...(options.clientMaxPdu === undefined ? {} : { maxPduLength: options.clientMaxPdu }),
    ...(options.window === undefined ? {} : { asynchronousOperationsWindow: options.window }),
  });
  await acceptedOne;
  const client = createDimseClient(clientAssociation, options.clientOptions ?? {});
  return {
    client,
    clientAssociation,
    server: servers[0]!,
    serverAssociation: accepted[0]!,
    associationServer,
    port: address.port,
    close: async () => {
      if (clientAssociation.state === 'Sta6') await clientAssociation.release().catch(() => undefined);
      await associationServer.close();
    },
  };
}

/**
 * A loopback TCP proxy between a requestor (e.g. DCMTK storescu) and our SCP that decodes what the requestor sends
 * (PS3.8 9.3 PDUs, PS3.8 Annex E PDVs) and keeps, per C-STORE-RQ (PS3.7 9.3.1.1), the exact dataset bytes that went
 * over the wire: the reference against which stored files are compared, whatever the sender re-encoded. Test code.
 */
import { createServer, type Server, type Socket, connect as tcpConnect } from 'node:net';
import { decodeCommandSet } from '@netdicom/dimse';
import { createPduReader } from '@netdicom/pdu';

/** One C-STORE-RQ as sent. */
export interface RecordedStore {
  readonly sopClassUid: string;
  readonly sopInstanceUid: string;
  readonly presentationContextId: number;
  /** Transfer syntax the SCP accepted for that presentation context (from the A-ASSOCIATE-AC it sent). */
  readonly transferSyntax: string | undefined;
  /** The dataset bytes exactly as sent, fragments joined. */
  readonly dataset: Buffer;
}

/** A running proxy. */
export interface WireRecorder {
  /** Port to point the requestor at (127.0.0.1). */
  readonly port: number;
  /** Stores seen so far, in order. */
  readonly stores: readonly RecordedStore[];
  /** Decoding problems (none expected). */
  readonly errors: readonly Error[];
  close(): Promise<void>;
}

const C_STORE_RQ = 0x0001;

/** Starts a proxy on 127.0.0.1 (ephemeral port) forwarding to `127.0.0.1:targetPort`. */
export async function startWireRecorder(targetPort: number): Promise<WireRecorder> {
  const stores: RecordedStore[] = [];
  const errors: Error[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    const upstream = tcpConnect(targetPort, '127.0.0.1');
    sockets.add(client);
    sockets.add(upstream);
    client.setNoDelay(true);
    upstream.setNoDelay(true);
    const reader = createPduReader({ maxPduLength: 64 * 1024 * 1024 });
    const answers = createPduReader({ maxPduLength: 64 * 1024 * 1024 });
    const accepted = new Map<number, string | undefined>();
    let command: Uint8Array[] = [];
    let current: { sopClassUid: string; sopInstanceUid: string; pc: number; parts: Uint8Array[] } | undefined;
    client.on('data', (chunk: Buffer) => {
      upstream.write(chunk);
      try {
        for (const pdu of reader.push(chunk)) {
          if (pdu.kind !== 'P-DATA-TF') continue;
          for (const pdv of pdu.pdvs) {
            if (pdv.isCommand) {
              command.push(Buffer.from(pdv.data));
              if (!pdv.isLast) continue;
              const decoded = decodeCommandSet(Buffer.concat(command), { validate: false });
              command = [];
              current =
                decoded.commandField === C_STORE_RQ
                  ? {
                      sopClassUid: decoded.affectedSopClassUid ?? '',
                      sopInstanceUid: decoded.affectedSopInstanceUid ?? '',
                      pc: pdv.presentationContextId,
                      parts: [],
                    }
                  : undefined;
              continue;
            }
            if (current === undefined) continue;
            current.parts.push(Buffer.from(pdv.data));
            if (pdv.isLast) {
              stores.push({
                sopClassUid: current.sopClassUid,
                sopInstanceUid: current.sopInstanceUid,
                presentationContextId: current.pc,
                transferSyntax: accepted.get(current.pc),
                dataset: Buffer.concat(current.parts),
              });
              current = undefined;
            }
          }
        }
      } catch (error) {
        errors.push(error instanceof Error ? error : new Error(String(error)));
      }
    });
    upstream.on('data', (chunk: Buffer) => {
      client.write(chunk);
      try {
        for (const pdu of answers.push(chunk)) {
          if (pdu.kind !== 'A-ASSOCIATE-AC') continue;
          for (const pc of pdu.presentationContexts) if (pc.result === 0) accepted.set(pc.id, pc.transferSyntax);
        }
      } catch (error) {
        errors.push(error instanceof Error ? error : new Error(String(error)));
      }
    });
    const end = () => {
      client.destroy();
      upstream.destroy();
      sockets.delete(client);
      sockets.delete(upstream);
    };
    client.on('close', end);
    upstream.on('close', end);
    client.on('error', end);
    upstream.on('error', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('proxy has no port');
  return {
    port: address.port,
    stores,
    errors,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * A minimal C-STORE / C-ECHO requestor (PS3.7 9.1.1, 9.1.5, Annex E command encoding; PS3.8 9.3.5 P-DATA
 * fragmentation), used only while `@netdicom/dimse` does not provide `createDimseClient`. It sends one message at a
 * time (fragments never interleave), matches responses by Message ID, and streams datasets from bytes, async
 * iterables or file ranges. dcmjs datasets need `@netdicom/dimse`.
 */

import type { Association } from '@netdicom/association';
import type { Pdv } from '@netdicom/pdu';
import type { DimseClient, DimseDataset, DimseResponse, DimseStoreRequest } from './dimse-bridge.js';
import { AssociationLostError, StoreFileError, StoreScuError } from './errors.js';
import { readFileRange } from './sources.js';

const VERIFICATION = '1.2.840.10008.1.1';

function uidBytes(uid: string): Buffer {
  return Buffer.from(uid.length % 2 ? `${uid}\0` : uid, 'latin1');
}

/** Encodes a command set in Implicit VR Little Endian with its group length (PS3.7 E.1, 6.3.1). */
function encodeCommand(elements: [element: number, value: Buffer][]): Buffer {
  const parts: Buffer[] = [];
  for (const [element, value] of elements) {
    const header = Buffer.alloc(8);
    header.writeUInt16LE(0x0000, 0);
    header.writeUInt16LE(element, 2);
    header.writeUInt32LE(value.length, 4);
    parts.push(header, value);
  }
  const body = Buffer.concat(parts);
  const groupLength = Buffer.alloc(12);
  groupLength.writeUInt32LE(0x00000000, 0);
  groupLength.writeUInt32LE(4, 4);
  groupLength.writeUInt32LE(body.length, 8);
  return Buffer.concat([groupLength, body]);
}

const us = (n: number) => {
  const b = Buffer.alloc(2);
  b.writeUInt16LE(n, 0);
  return b;
};

/** Decodes the elements of a command set this client needs (PS3.7 E.1). */
function decodeCommand(bytes: Buffer): Map<number, Buffer> {
  const out = new Map<number, Buffer>();
  let offset = 0;
  while (offset + 8 <= bytes.length) {
    const element = bytes.readUInt16LE(offset + 2);
    const length = bytes.readUInt32LE(offset + 4);
    if (offset + 8 + length > bytes.length) break;
    out.set(element, bytes.subarray(offset + 8, offset + 8 + length));
    offset += 8 + length;
  }
  return out;
}

async function* chunksOf(dataset: DimseDataset): AsyncGenerator<Uint8Array> {
  if (dataset instanceof Uint8Array) {
    yield dataset;
  } else if (typeof dataset === 'object' && dataset !== null && Symbol.asyncIterator in dataset) {
    yield* dataset as AsyncIterable<Uint8Array>;
  } else if (typeof (dataset as { path?: unknown }).path === 'string') {
    const { path, offset } = dataset as { path: string; offset?: number };
    try {
      yield* readFileRange(path, offset ?? 0);
    } catch (error) {
      throw new StoreFileError('unreadable', path, `Cannot read ${path}: ${(error as Error).message}`, {
        cause: error,
      });
    }
  } else {
    throw new StoreScuError('ERR_NETDICOM_STORE_SCU_DIMSE_UNAVAILABLE', 'dcmjs datasets need @netdicom/dimse');
  }
}

/** Creates the fallback client on an established association. */
export function createFallbackClient(association: Association): DimseClient {
  let nextId = 1;
  let sending: Promise<void> = Promise.resolve();
  const pending = new Map<number, { resolve: (r: DimseResponse) => void; reject: (e: Error) => void }>();
  let commandParts: Buffer[] = [];
  let closedError: Error | undefined;

  const subscription = association.pData$.subscribe((pdu) => {
    for (const pdv of pdu.pdvs) {
      if (!pdv.isCommand) continue; // responses to C-STORE / C-ECHO carry no dataset
      commandParts.push(Buffer.from(pdv.data));
      if (!pdv.isLast) continue;
      const command = decodeCommand(Buffer.concat(commandParts));
      commandParts = [];
      const id = command.get(0x0120)?.readUInt16LE(0);
      const status = command.get(0x0900)?.readUInt16LE(0);
      const comment = command
        .get(0x0902)
        ?.toString('latin1')
        .replace(/[\0 ]+$/, '');
      const waiter = id === undefined ? undefined : pending.get(id);
      if (!waiter || status === undefined) continue;
      pending.delete(id!);
      waiter.resolve({ status, ...(comment ? { errorComment: comment } : {}) });
    }
  });
  void association.closed.then((closed) => {
    closedError = new AssociationLostError(`The association ended (${closed.reason})`, { cause: closed.error });
    subscription.unsubscribe();
    for (const waiter of pending.values()) waiter.reject(closedError);
    pending.clear();
  });

  const maxData = () => Math.max(1, association.negotiated.maxPduLengthToSend - 6);

  async function send(pdvs: Pdv[]): Promise<void> {
    if (closedError) throw closedError;
    if (!association.sendPData(pdvs)) await association.drain();
  }

  async function message(
    contextId: number,
    command: Buffer,
    dataset: DimseDataset | undefined,
  ): Promise<DimseResponse> {
    const id = nextId;
    nextId = nextId === 0xffff ? 1 : nextId + 1;
    const response = new Promise<DimseResponse>((resolve, reject) => pending.set(id, { resolve, reject }));
    response.catch(() => {});
    const encoded = Buffer.from(command);
    encoded.writeUInt16LE(id, encoded.indexOf(Buffer.from([0x00, 0x00, 0x10, 0x01, 0x02, 0x00, 0x00, 0x00])) + 8);
    const run = sending.then(async () => {
      await send([{ presentationContextId: contextId, isCommand: true, isLast: true, data: encoded }]);
      if (!dataset) return;
      // PDV values have even lengths (DCMTK refuses odd fragments): re-chunk into even pieces, pad an odd total.
      const limit = maxData() & ~1;
      const buffer = Buffer.allocUnsafe(limit);
      let filled = 0;
      for await (const chunk of chunksOf(dataset)) {
        let offset = 0;
        while (offset < chunk.length) {
          if (filled === limit) {
            await send([
              { presentationContextId: contextId, isCommand: false, isLast: false, data: Buffer.from(buffer) },
            ]);
            filled = 0;
          }
          const take = Math.min(limit - filled, chunk.length - offset);
          buffer.set(chunk.subarray(offset, offset + take), filled);
          filled += take;
          offset += take;
        }
      }
      if (filled % 2) buffer[filled++] = 0;
      await send([
        {
          presentationContextId: contextId,
          isCommand: false,
          isLast: true,
          data: Buffer.from(buffer.subarray(0, filled)),
        },
      ]);
    });
    sending = run.catch(() => {});
    try {
      await run;
    } catch (error) {
      pending.delete(id);
      if (!closedError) await association.abort();
      throw error;
    }
    return response;
  }

  return {
    echo() {
      const context = association.negotiated.acceptedContexts.find((c) => c.abstractSyntax === VERIFICATION);
      if (!context)
        throw new StoreScuError('ERR_NETDICOM_STORE_SCU_NO_PRESENTATION_CONTEXT', 'Verification was not accepted');
      const command = encodeCommand([
        [0x0002, uidBytes(VERIFICATION)],
        [0x0100, us(0x0030)],
        [0x0110, us(0)],
        [0x0800, us(0x0101)],
      ]);
      return message(context.id, command, undefined);
    },
    store(request: DimseStoreRequest) {
      const context =
        request.presentationContextId ??
        association.negotiated.acceptedContexts.find((c) => c.abstractSyntax === request.sopClassUid)?.id;
      if (context === undefined) {
        throw new StoreScuError(
          'ERR_NETDICOM_STORE_SCU_NO_PRESENTATION_CONTEXT',
          `No context for ${request.sopClassUid}`,
        );
      }
      const command = encodeCommand([
        [0x0002, uidBytes(request.sopClassUid)],
        [0x0100, us(0x0001)],
        [0x0110, us(0)],
        [0x0700, us(request.priority ?? 0)],
        [0x0800, us(0x0000)],
        [0x1000, uidBytes(request.sopInstanceUid)],
      ]);
      return message(context, command, request.dataset);
    },
  };
}

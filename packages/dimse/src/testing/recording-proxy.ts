/**
 * A loopback TCP proxy that forwards one or more connections to a target and records the bytes of both directions,
 * plus a minimal PS3.8 9.3 P-DATA-TF splitter to pull the command sets and data sets out of the recording. Test code
 * only: it records golden bytes from real DCMTK peers.
 */
import { type AddressInfo, createServer, type Server, type Socket, connect as tcpConnect } from 'node:net';

/** Which way bytes flowed through the proxy. */
export type Direction = 'to-target' | 'from-target';

/** A started proxy. */
export interface RecordingProxy {
  readonly port: number;
  /** Concatenated bytes per direction, over all connections so far (in arrival order). */
  bytes(direction: Direction): Buffer;
  close(): Promise<void>;
}

/** Starts a proxy on 127.0.0.1 (ephemeral port) that forwards to `127.0.0.1:targetPort`. */
export async function startRecordingProxy(targetPort: number): Promise<RecordingProxy> {
  const recorded: Record<Direction, Buffer[]> = { 'to-target': [], 'from-target': [] };
  const sockets = new Set<Socket>();
  const server: Server = createServer((client) => {
    client.setNoDelay(true);
    const upstream = tcpConnect({ host: '127.0.0.1', port: targetPort });
    upstream.setNoDelay(true);
    sockets.add(client);
    sockets.add(upstream);
    client.on('data', (d: Buffer) => {
      recorded['to-target'].push(Buffer.from(d));
      upstream.write(d);
    });
    upstream.on('data', (d: Buffer) => {
      recorded['from-target'].push(Buffer.from(d));
      client.write(d);
    });
    const closeBoth = () => {
      client.end();
      upstream.end();
    };
    client.on('end', closeBoth);
    upstream.on('end', closeBoth);
    client.on('error', () => upstream.destroy());
    upstream.on('error', () => client.destroy());
    client.on('close', () => sockets.delete(client));
    upstream.on('close', () => sockets.delete(upstream));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    bytes: (direction) => Buffer.concat(recorded[direction]),
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** A DIMSE message reassembled from recorded PDVs. */
export interface RecordedMessage {
  readonly presentationContextId: number;
  readonly command: Buffer;
  readonly dataset: Buffer | undefined;
  /** Sizes of the data set PDV fragments as they went over the wire. */
  readonly datasetFragments: number[];
}

/**
 * Splits a recorded byte stream into PDUs (PS3.8 9.3.1: type, reserved, 32-bit big-endian length) and reassembles
 * the DIMSE messages carried by its P-DATA-TF PDUs (PS3.8 9.3.5, Annex E).
 */
export function messagesOf(stream: Buffer): RecordedMessage[] {
  const messages: RecordedMessage[] = [];
  let command: Buffer[] = [];
  let dataset: Buffer[] = [];
  let fragments: number[] = [];
  let commandDone: Buffer | undefined;
  let pcId = 0;
  let offset = 0;
  while (offset + 6 <= stream.length) {
    const type = stream[offset]!;
    const length = stream.readUInt32BE(offset + 2);
    const body = stream.subarray(offset + 6, offset + 6 + length);
    offset += 6 + length;
    if (type !== 0x04) continue;
    let p = 0;
    while (p + 6 <= body.length) {
      const itemLength = body.readUInt32BE(p);
      pcId = body[p + 4]!;
      const header = body[p + 5]!;
      const data = body.subarray(p + 6, p + 4 + itemLength);
      p += 4 + itemLength;
      const isCommand = (header & 1) === 1;
      const isLast = (header & 2) === 2;
      if (isCommand) {
        command.push(data);
        if (isLast) {
          commandDone = Buffer.concat(command);
          command = [];
          // A command without a data set ends the message now.
          const cdst = commandDataSetTypeOf(commandDone);
          if (cdst === 0x0101) {
            messages.push({
              presentationContextId: pcId,
              command: commandDone,
              dataset: undefined,
              datasetFragments: [],
            });
            commandDone = undefined;
          }
        }
      } else {
        dataset.push(data);
        fragments.push(data.length);
        if (isLast && commandDone !== undefined) {
          messages.push({
            presentationContextId: pcId,
            command: commandDone,
            dataset: Buffer.concat(dataset),
            datasetFragments: fragments,
          });
          commandDone = undefined;
          dataset = [];
          fragments = [];
        }
      }
    }
  }
  return messages;
}

function commandDataSetTypeOf(command: Buffer): number | undefined {
  let p = 0;
  while (p + 8 <= command.length) {
    const group = command.readUInt16LE(p);
    const element = command.readUInt16LE(p + 2);
    const length = command.readUInt32LE(p + 4);
    if (group === 0 && element === 0x0800 && length === 2) return command.readUInt16LE(p + 8);
    p += 8 + length;
  }
  return undefined;
}

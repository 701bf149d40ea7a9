import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { buffer as readAll } from 'node:stream/consumers';
import { type Association, connect, createAcceptancePolicy, createAssociationServer } from '@netdicom/association';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { channelOf, DIMSE_MESSAGE_CHANNEL, type DimseMessageTrace } from './channel.js';
import { createDimseClient } from './client.js';
import { CommandDataSetType, CommandField, decodeCommandSet, encodeCommandSet } from './commands.js';
import { datasetFromBytes } from './dataset.js';
import {
  AssociationEndedError,
  DatasetSourceError,
  DimseProtocolError,
  InvalidArgumentError,
  NoPresentationContextError,
  OperationAbortedError,
  ResponseTimeoutError,
} from './errors.js';
import { createDimseServer, type StoreContext } from './server.js';
import { Status } from './status.js';
import { buildDataset, buildPart10, sampleElements } from './testing/dataset-builder.js';
import { rawCommandSet } from './testing/raw-command-set.js';
import {
  BIG_ENDIAN,
  CT_IMAGE_STORAGE,
  EXPLICIT,
  IMPLICIT,
  type Loopback,
  type LoopbackOptions,
  startLoopback,
  VERIFICATION,
} from './testing/loopback.js';

const open: Loopback[] = [];
async function loopback(options: LoopbackOptions = {}): Promise<Loopback> {
  const l = await startLoopback(options);
  open.push(l);
  return l;
}
afterEach(async () => {
  for (const l of open.splice(0)) await l.close();
});

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dimse-messages-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const UID = '1.2.826.0.1.3680043.10.99.1';

/** Polls until `condition` holds (generous deadline: timing is never asserted). */
async function until(condition: () => boolean, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms: ${condition}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
const sample = (size = 200_000) => new Uint8Array(size).map((_, i) => (i * 7 + (i >> 8)) & 0xff);

/** A store handler that records what it received. */
function recordingStore() {
  const received: { context: StoreContext; bytes: Buffer }[] = [];
  const onStore = async (context: StoreContext) => {
    received.push({ context, bytes: await readAll(context.dataset) });
  };
  return { received, onStore };
}

describe('tracing', () => {
  it('publishes every command set sent and received on netdicom:dimse:message', async () => {
    const seen: string[] = [];
    const listener = (message: unknown) => {
      const m = message as DimseMessageTrace;
      seen.push(`${m.association.role} ${m.direction} 0x${m.command.commandField.toString(16)}`);
    };
    subscribe(DIMSE_MESSAGE_CHANNEL, listener);
    try {
      const l = await loopback();
      await l.client.echo();
    } finally {
      unsubscribe(DIMSE_MESSAGE_CHANNEL, listener);
    }
    expect(seen).toEqual([
      'requestor sent 0x30',
      'acceptor received 0x30',
      'acceptor sent 0x8030',
      'requestor received 0x8030',
    ]);
  });
});

describe('C-ECHO', () => {
  it('succeeds by default and calls onEcho when given', async () => {
    const l = await loopback();
    const response = await l.client.echo();
    expect(response.status).toEqual({ code: 0, category: 'success', name: 'Success' });
    expect(response.command.commandField).toBe(CommandField['C-ECHO-RSP']);
    const seen: number[] = [];
    const l2 = await loopback({
      handlers: {
        onEcho: (ctx) => {
          seen.push(ctx.messageId);
          expect(ctx.sopClassUid).toBe(VERIFICATION);
          return { status: 0x0110, errorComment: 'busy' };
        },
      },
    });
    const failed = await l2.client.echo();
    expect(failed.status.category).toBe('failure');
    expect(failed.errorComment).toBe('busy');
    expect(seen).toEqual([failed.messageId]);
  });

  it('refuses when Verification was not negotiated', async () => {
    const l = await loopback({ contexts: [{ abstractSyntax: CT_IMAGE_STORAGE, transferSyntaxes: [EXPLICIT] }] });
    await expect(l.client.echo()).rejects.toBeInstanceOf(NoPresentationContextError);
  });
});

describe('C-STORE streaming', () => {
  for (const maxPdu of [1024, 16384, 262144]) {
    it(`moves bytes unchanged at max PDU ${maxPdu}, from bytes and from odd-sized stream chunks`, async () => {
      const { received, onStore } = recordingStore();
      const l = await loopback({ handlers: { onStore }, serverMaxPdu: maxPdu });
      const data = sample();
      const response = await l.client.store({
        dataset: data,
        sopClassUid: CT_IMAGE_STORAGE,
        sopInstanceUid: UID,
        transferSyntax: EXPLICIT,
      });
      expect(response.status.category).toBe('success');
      expect(response.bytesSent).toBe(data.length);
      expect(response.transferSyntax).toBe(EXPLICIT);
      const chunks: Uint8Array[] = [];
      for (let i = 0, size = 1; i < data.length; i += size, size = (size * 3 + 1) % 70001) {
        chunks.push(data.subarray(i, i + size));
      }
      await l.client.store({
        dataset: Readable.from(chunks),
        sopClassUid: CT_IMAGE_STORAGE,
        sopInstanceUid: `${UID}.2`,
        transferSyntax: IMPLICIT,
      });
      expect(received).toHaveLength(2);
      for (const r of received) expect(r.bytes.equals(Buffer.from(data))).toBe(true);
      expect(received[0]!.context).toMatchObject({
        sopClassUid: CT_IMAGE_STORAGE,
        sopInstanceUid: UID,
        transferSyntax: EXPLICIT,
        priority: 0,
        messageId: response.messageId,
      });
      expect(received[1]!.context.transferSyntax).toBe(IMPLICIT);
    });
  }

  for (const maxPdu of [1024, 262144]) {
    it(`sends even fragments only at max PDU ${maxPdu}: odd chunks are joined, an odd total gets one NUL`, async () => {
      const { received, onStore } = recordingStore();
      const l = await loopback({ handlers: { onStore }, serverMaxPdu: maxPdu });
      const fragments: { length: number; isLast: boolean }[] = [];
      l.serverAssociation.pData$.subscribe((pdu) => {
        for (const pdv of pdu.pdvs) {
          if (!pdv.isCommand) fragments.push({ length: pdv.data.length, isLast: pdv.isLast });
        }
      });
      const data = sample(200_001);
      const chunks: Uint8Array[] = [];
      for (let i = 0, size = 1; i < data.length; i += size, size = size >= 9000 ? 3 : size * 3) {
        chunks.push(data.subarray(i, i + size));
      }
      expect(chunks.some((c) => c.length % 2 === 1 && c.length > 4096)).toBe(true);
      const response = await l.client.store({
        dataset: Readable.from(chunks),
        sopClassUid: CT_IMAGE_STORAGE,
        sopInstanceUid: UID,
        transferSyntax: EXPLICIT,
      });
      expect(response.status.category).toBe('success');
      expect(response.bytesSent).toBe(200_002);
      expect(fragments.length).toBeGreaterThan(1);
      expect(fragments.filter((f) => f.length % 2 === 1)).toEqual([]);
      expect(fragments.map((f) => f.isLast)).toEqual([...fragments.slice(1).map(() => false), true]);
      expect(received[0]!.bytes.equals(Buffer.concat([data, Uint8Array.of(0)]))).toBe(true);
    });
  }

  it('sends files larger than its read buffers, one after another, byte for byte', async () => {
    const { received, onStore } = recordingStore();
    const l = await loopback({
      handlers: { onStore },
      serverMaxPdu: 16384,
      window: { maxOperationsInvoked: 4, maxOperationsPerformed: 1 },
    });
    const files: { path: string; data: Uint8Array }[] = [];
    for (let i = 0; i < 6; i++) {
      // 1 to 3.5 MB, each different: a buffer reused too early would show another file's bytes.
      const data = sample(1_000_000 + i * 500_000 + 2).map((v, j) => (v + i * 31 + (j >> 12)) & 0xff);
      const path = join(dir, `big-${i}.bin`);
      await writeFile(path, data);
      files.push({ path, data });
    }
    const responses = await Promise.all(
      files.map((file, i) =>
        l.client.store({
          dataset: { path: file.path, offset: 0 },
          sopClassUid: CT_IMAGE_STORAGE,
          sopInstanceUid: `${UID}.${i}`,
          transferSyntax: EXPLICIT,
        }),
      ),
    );
    expect(responses.map((r) => r.status.category)).toEqual(files.map(() => 'success'));
    expect(received).toHaveLength(files.length);
    for (const r of received) {
      const index = Number(r.context.sopInstanceUid.split('.').at(-1));
      expect(r.bytes.equals(Buffer.from(files[index]!.data))).toBe(true);
    }
  });

  it('data sets opened ahead of their turn: a missing file fails its own store only, in any position', async () => {
    const { received, onStore } = recordingStore();
    const l = await loopback({ handlers: { onStore }, window: { maxOperationsInvoked: 8, maxOperationsPerformed: 1 } });
    const data = sample(300_000);
    const good = join(dir, 'prefetch-good.bin');
    await writeFile(good, data);
    const paths = [good, join(dir, 'missing-1'), good, good, join(dir, 'missing-2'), good, good, good];
    const outcomes = await Promise.allSettled(
      paths.map((path, i) =>
        l.client.store({
          dataset: { path, offset: 0 },
          sopClassUid: CT_IMAGE_STORAGE,
          sopInstanceUid: `${UID}.${i}`,
          transferSyntax: EXPLICIT,
        }),
      ),
    );
    expect(outcomes.map((o) => o.status)).toEqual(paths.map((p) => (p === good ? 'fulfilled' : 'rejected')));
    for (const o of outcomes) {
      if (o.status === 'rejected') expect(o.reason).toMatchObject({ code: 'ERR_NETDICOM_DIMSE_DATASET_SOURCE' });
    }
    expect(received).toHaveLength(6);
    for (const r of received) expect(r.bytes.equals(Buffer.from(data))).toBe(true);
    expect((await l.client.echo()).status.code).toBe(0);
  });

  it('a file shorter than the length given fails that store before its command goes out', async () => {
    const { received, onStore } = recordingStore();
    const l = await loopback({ handlers: { onStore } });
    const path = join(dir, 'short.bin');
    await writeFile(path, sample(1000));
    await expect(
      l.client.store({
        dataset: { path, offset: 0, length: 2000 },
        sopClassUid: CT_IMAGE_STORAGE,
        sopInstanceUid: UID,
        transferSyntax: EXPLICIT,
      }),
    ).rejects.toMatchObject({ code: 'ERR_NETDICOM_DIMSE_DATASET_SOURCE' });
    expect((await l.client.echo()).status.code).toBe(0);
    expect(received).toHaveLength(0);
  });

  it('stores a Part 10 file from its data set offset, SOP UIDs and transfer syntax from the meta', async () => {
    const { received, onStore } = recordingStore();
    const l = await loopback({ handlers: { onStore } });
    const dataset = buildDataset(sampleElements(), 'implicit-le');
    const path = join(dir, 'implicit.dcm');
    await writeFile(
      path,
      buildPart10(dataset, { transferSyntax: IMPLICIT, sopClassUid: CT_IMAGE_STORAGE, sopInstanceUid: UID }),
    );
    const response = await l.client.store({ dataset: { path } });
    expect(response).toMatchObject({ sopClassUid: CT_IMAGE_STORAGE, sopInstanceUid: UID, transferSyntax: IMPLICIT });
    expect(received[0]!.bytes.equals(Buffer.from(dataset))).toBe(true);
    // A bare data set at an explicit offset, length-bounded.
    const bare = join(dir, 'bare.bin');
    await writeFile(bare, Buffer.concat([Buffer.from('junk'), Buffer.from(dataset), Buffer.from('trailer')]));
    await l.client.store({ dataset: { path: bare, offset: 4, length: dataset.length }, transferSyntax: IMPLICIT });
    expect(received[1]!.bytes.equals(Buffer.from(dataset))).toBe(true);
    expect(received[1]!.context.sopInstanceUid).toBe(UID);
  });

  it('encodes a dcmjs data set in an accepted transfer syntax', async () => {
    const { received, onStore } = recordingStore();
    const l = await loopback({
      handlers: { onStore },
      contexts: [{ abstractSyntax: CT_IMAGE_STORAGE, transferSyntaxes: [BIG_ENDIAN] }],
    });
    const natural = datasetFromBytes(buildDataset(sampleElements(), 'explicit-le'), EXPLICIT);
    const response = await l.client.store({ dataset: natural });
    expect(response).toMatchObject({ sopInstanceUid: UID, transferSyntax: BIG_ENDIAN });
    const back = datasetFromBytes(received[0]!.bytes, BIG_ENDIAN);
    expect(back['PatientID']).toBe('PID001');
    expect(back['InstanceNumber']).toBe(natural['InstanceNumber']);
  });

  it('returns non-success statuses as values, handler errors as 0x0110', async () => {
    let mode = 'warn';
    const l = await loopback({
      handlers: {
        onStore: async (ctx) => {
          await readAll(ctx.dataset);
          if (mode === 'warn') return { status: Status.CoercionOfDataElements, offendingElement: [0x00100010] };
          if (mode === 'full') return { status: 0xa701, errorComment: 'disk full \u2013 try later' };
          if (mode === 'bogus') return { status: 0x12345 };
          throw new Error('handler exploded');
        },
      },
    });
    const store = () =>
      l.client.store({
        dataset: sample(1000),
        sopClassUid: CT_IMAGE_STORAGE,
        sopInstanceUid: UID,
        transferSyntax: EXPLICIT,
      });
    const warned = await store();
    expect(warned.status).toMatchObject({
      code: 0xb000,
      category: 'warning',
      name: 'Warning: Coercion of Data Elements',
    });
    expect(warned.offendingElements).toEqual([0x00100010]);
    mode = 'full';
    const full = await store();
    expect(full.status).toMatchObject({ code: 0xa701, category: 'failure', name: 'Refused: Out of Resources' });
    expect(full.errorComment).toBe('disk full ? try later');
    mode = 'bogus';
    const bogus = await store();
    expect(bogus.status.code).toBe(0x0110);
    expect(bogus.errorComment).toContain('0x0000-0xFFFF');
    mode = 'throw';
    const thrown = await store();
    expect(thrown.status.code).toBe(0x0110);
    expect(thrown.errorComment).toBe('handler exploded');
  });

  it('drops what a handler leaves unread and keeps serving', async () => {
    let calls = 0;
    const l = await loopback({
      handlers: {
        onStore: (ctx) => {
          calls++;
          if (calls === 1) ctx.dataset.destroy();
          return calls === 1 ? Status.OutOfResources : Status.Success;
        },
      },
      serverMaxPdu: 4096,
    });
    const big = sample(3_000_000);
    const first = await l.client.store({
      dataset: big,
      sopClassUid: CT_IMAGE_STORAGE,
      sopInstanceUid: UID,
      transferSyntax: EXPLICIT,
    });
    expect(first.status.code).toBe(0xa700);
    const second = await l.client.store({
      dataset: big,
      sopClassUid: CT_IMAGE_STORAGE,
      sopInstanceUid: UID,
      transferSyntax: EXPLICIT,
    });
    expect(second.status.code).toBe(0);
    expect((await l.client.echo()).status.code).toBe(0);
  });

  it('answers 0x0211 when no store handler is installed', async () => {
    const l = await loopback();
    const response = await l.client.store({
      dataset: sample(100),
      sopClassUid: CT_IMAGE_STORAGE,
      sopInstanceUid: UID,
      transferSyntax: EXPLICIT,
    });
    expect(response.status).toMatchObject({ code: 0x0211, category: 'failure' });
  });

  it('refuses bad arguments locally without touching the association', async () => {
    const l = await loopback({ handlers: { onStore: () => undefined } });
    await expect(
      l.client.store({ dataset: sample(10), sopClassUid: CT_IMAGE_STORAGE } as never),
    ).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(
      l.client.store({ dataset: sample(10), sopClassUid: '1.2.3.4', sopInstanceUid: UID, transferSyntax: EXPLICIT }),
    ).rejects.toBeInstanceOf(NoPresentationContextError);
    await expect(
      l.client.store({
        dataset: sample(10),
        sopClassUid: CT_IMAGE_STORAGE,
        sopInstanceUid: UID,
        transferSyntax: '1.2.840.10008.1.2.4.50',
      }),
    ).rejects.toBeInstanceOf(NoPresentationContextError);
    // Two accepted transfer syntaxes and none given: ambiguous.
    await expect(
      l.client.store({ dataset: sample(10), sopClassUid: CT_IMAGE_STORAGE, sopInstanceUid: UID }),
    ).rejects.toBeInstanceOf(NoPresentationContextError);
    await expect(l.client.store({ dataset: { path: join(dir, 'missing.dcm') } })).rejects.toBeInstanceOf(
      DatasetSourceError,
    );
    await expect(
      l.client.store({
        dataset: { path: join(dir, 'missing.dcm'), offset: 0 },
        sopClassUid: CT_IMAGE_STORAGE,
        sopInstanceUid: UID,
        transferSyntax: EXPLICIT,
      }),
    ).rejects.toBeInstanceOf(DatasetSourceError);
    await expect(
      l.client.store({
        dataset: Readable.from([]),
        sopClassUid: CT_IMAGE_STORAGE,
        sopInstanceUid: UID,
        transferSyntax: EXPLICIT,
      }),
    ).rejects.toBeInstanceOf(DatasetSourceError);
    const aborted = AbortSignal.abort();
    await expect(l.client.echo({ signal: aborted })).rejects.toBeDefined();
    expect((await l.client.echo()).status.code).toBe(0);
    expect(l.clientAssociation.state).toBe('Sta6');
  });

  it('a stream failing mid-data-set aborts the association (the peer is inside a message)', async () => {
    let handlerError: unknown;
    const l = await loopback({
      handlers: {
        onStore: async (ctx) => {
          try {
            await readAll(ctx.dataset);
          } catch (error) {
            handlerError = error;
            throw error;
          }
        },
      },
    });
    async function* failing() {
      yield sample(50_000);
      await new Promise((r) => setTimeout(r, 20));
      throw new Error('disk read error');
    }
    await expect(
      l.client.store({
        dataset: failing(),
        sopClassUid: CT_IMAGE_STORAGE,
        sopInstanceUid: UID,
        transferSyntax: EXPLICIT,
      }),
    ).rejects.toBeInstanceOf(DatasetSourceError);
    const closed = await l.clientAssociation.closed;
    expect(closed.reason).toBe('aborted');
    expect((await l.serverAssociation.closed).reason).toBe('peer-aborted');
    await expect(l.client.echo()).rejects.toBeInstanceOf(AssociationEndedError);
    expect(handlerError).toBeInstanceOf(AssociationEndedError);
  });
  it('a data set stream that stops yielding does not hold its store once the association ends', async () => {
    const l = await loopback({
      handlers: {
        onStore: async (ctx) => {
          await readAll(ctx.dataset);
        },
      },
    });
    let stalled!: () => void;
    const isStalled = new Promise<void>((resolve) => {
      stalled = resolve;
    });
    // Yields 50 KB, then neither yields nor ends: only the association's end can settle the store.
    const stalling: AsyncIterable<Uint8Array> = {
      [Symbol.asyncIterator]: () => {
        let sent = false;
        return {
          next: () => {
            if (sent) {
              stalled();
              return new Promise<IteratorResult<Uint8Array>>(() => undefined);
            }
            sent = true;
            return Promise.resolve({ done: false, value: sample(50_000) });
          },
        };
      },
    };
    const storing = l.client
      .store({ dataset: stalling, sopClassUid: CT_IMAGE_STORAGE, sopInstanceUid: UID, transferSyntax: EXPLICIT })
      .catch((e: unknown) => e);
    await isStalled;
    await l.clientAssociation.abort();
    expect(await storing).toBeInstanceOf(AssociationEndedError);
  });

  it('a request signal aborted while the data set stream stalls rejects with its reason and aborts', async () => {
    const l = await loopback({
      handlers: {
        onStore: async (ctx) => {
          await readAll(ctx.dataset);
        },
      },
    });
    const controller = new AbortController();
    async function* stalling() {
      yield sample(50_000);
      controller.abort(new Error('user gave up'));
      await new Promise(() => undefined);
    }
    await expect(
      l.client.store({
        dataset: stalling(),
        sopClassUid: CT_IMAGE_STORAGE,
        sopInstanceUid: UID,
        transferSyntax: EXPLICIT,
        signal: controller.signal,
      }),
    ).rejects.toThrow('user gave up');
    expect((await l.clientAssociation.closed).reason).toBe('aborted');
  });
});

describe('asynchronous operations window (PS3.7 D.3.3.3)', () => {
  it('keeps N outstanding, correlates responses answered in reverse order', async () => {
    const N = 4;
    const waiting: { ctx: StoreContext; release: () => void }[] = [];
    let maxActive = 0;
    let l!: Loopback;
    const order: number[] = [];
    l = await loopback({
      window: { maxOperationsInvoked: N, maxOperationsPerformed: N },
      handlers: {
        onStore: async (ctx) => {
          await readAll(ctx.dataset);
          maxActive = Math.max(maxActive, l.server.active);
          await new Promise<void>((release) => {
            waiting.push({ ctx, release });
            if (waiting.length === N) {
              // Answer the batch in reverse order of arrival.
              for (const w of waiting.splice(0).reverse()) {
                order.push(w.ctx.messageId);
                w.release();
              }
            }
          });
          return { status: 0xb000 + Number(ctx.sopInstanceUid.split('.').at(-1)) };
        },
      },
    });
    expect(l.client.window).toBe(N);
    const stores = Array.from({ length: 3 * N }, (_, i) =>
      l.client.store({
        dataset: sample(5000 + i),
        sopClassUid: CT_IMAGE_STORAGE,
        sopInstanceUid: `${UID}.${i}`,
        transferSyntax: EXPLICIT,
      }),
    );
    expect(l.client.outstanding).toBeLessThanOrEqual(N);
    const responses = await Promise.all(stores);
    responses.forEach((r, i) => {
      expect(r.sopInstanceUid).toBe(`${UID}.${i}`);
      expect(r.status.code).toBe(0xb000 + i);
      expect(r.command.affectedSopInstanceUid).toBe(`${UID}.${i}`);
    });
    expect(maxActive).toBe(N);
    // Reverse order really happened: within each batch the later request was answered first.
    expect(order.slice(0, N)).toEqual([...order.slice(0, N)].sort((a, b) => b - a));
    expect(l.client.outstanding).toBe(0);
  });

  it('throttles a peer that invokes beyond the window by not reading, not by buffering', async () => {
    const releases: (() => void)[] = [];
    let maxActive = 0;
    let l!: Loopback;
    l = await loopback({
      window: { maxOperationsInvoked: 1, maxOperationsPerformed: 1 },
      serverOptions: { maxQueuedRequests: 2, datasetHighWaterMark: 16384 },
      handlers: {
        onStore: async (ctx) => {
          maxActive = Math.max(maxActive, l.server.active);
          await readAll(ctx.dataset);
          await new Promise<void>((resolve) => releases.push(resolve));
        },
      },
    });
    // Misbehave: bypass the client's window and pipeline 6 requests of 2 MB through the message layer.
    const channel = channelOf(l.clientAssociation);
    const responses: number[] = [];
    const ids = [101, 102, 103, 104, 105, 106];
    for (const id of ids) channel.expectResponses(id, (m) => responses.push(m.command.messageIdBeingRespondedTo!));
    const sends = ids.map((id) =>
      channel.send(
        1 + 2 * 2, // the CT explicit context (Verification uses 1 and 3)
        {
          commandField: CommandField['C-STORE-RQ'],
          messageId: id,
          affectedSopClassUid: CT_IMAGE_STORAGE,
          affectedSopInstanceUid: `${UID}.${id}`,
          priority: 0,
          commandDataSetType: CommandDataSetType.Present,
        },
        sample(2_000_000),
      ),
    );
    void Promise.allSettled(sends);
    await until(() => l.server.active === 1);
    // Give the misbehaving peer time to push as much as it can.
    await new Promise((r) => setTimeout(r, 300));
    // One performing, at most one more received and waiting; the rest still in the peer's socket.
    expect(maxActive).toBe(1);
    expect(l.server.active).toBe(1);
    expect(l.server.queued).toBeLessThanOrEqual(1);
    expect(l.serverAssociation.incomingBufferedBytes).toBeLessThan(4 * 1024 * 1024);
    expect(responses).toEqual([]);
    while (responses.length < ids.length) {
      releases.shift()?.();
      await new Promise((r) => setTimeout(r, 20));
    }
    expect(responses).toEqual(ids);
    expect(maxActive).toBe(1);
  });
});

describe('C-CANCEL, duplicates and malformed requests', () => {
  it('signals C-CANCEL to the operation it names', async () => {
    const cancelled: number[] = [];
    let signalReason: unknown;
    const l = await loopback({
      handlers: {
        onStore: async (ctx) => {
          await readAll(ctx.dataset);
          await new Promise<void>((resolve) => ctx.signal.addEventListener('abort', () => resolve()));
          signalReason = ctx.signal.reason;
          return Status.Cancel;
        },
        onCancel: (ctx) => {
          cancelled.push(ctx.messageId);
          expect(ctx.found).toBe(true);
        },
      },
    });
    const store = l.client.store({
      dataset: sample(100),
      sopClassUid: CT_IMAGE_STORAGE,
      sopInstanceUid: UID,
      transferSyntax: EXPLICIT,
    });
    await until(() => l.server.active === 1);
    await channelOf(l.clientAssociation).send(1, {
      commandField: CommandField['C-CANCEL-RQ'],
      messageIdBeingRespondedTo: 1,
      commandDataSetType: CommandDataSetType.Absent,
    });
    const response = await store;
    expect(response.status.category).toBe('cancel');
    expect(cancelled).toEqual([1]);
    expect((signalReason as Error).message).toContain('C-CANCEL');
  });

  it('answers a duplicate Message ID with 0x0210', async () => {
    let release!: () => void;
    const l = await loopback({
      window: { maxOperationsInvoked: 2, maxOperationsPerformed: 2 },
      handlers: {
        onEcho: () =>
          new Promise<void>((r) => {
            release = r;
          }),
      },
    });
    const channel = channelOf(l.clientAssociation);
    const got: number[] = [];
    channel.expectResponses(500, (m) => got.push(m.command.status!));
    const echo = {
      commandField: CommandField['C-ECHO-RQ'],
      messageId: 500,
      affectedSopClassUid: VERIFICATION,
      commandDataSetType: CommandDataSetType.Absent,
    };
    await channel.send(1, echo);
    await channel.send(1, echo);
    await until(() => got.length === 1);
    expect(got).toEqual([0x0210]);
    release();
    await until(() => got.length === 2);
    expect(got).toEqual([0x0210, 0]);
  });

  it('answers a command set missing a mandatory element with 0x0212 and the offending element', async () => {
    const l = await loopback({ handlers: { onStore: () => undefined } });
    const got: { status: number; offending: readonly number[] | undefined; comment: string | undefined }[] = [];
    const channel = channelOf(l.clientAssociation);
    channel.expectResponses(77, (m) =>
      got.push({ status: m.command.status!, offending: m.command.offendingElement, comment: m.command.errorComment }),
    );
    // C-STORE-RQ without Affected SOP Instance UID, with a data set that must be drained.
    const bytes = rawCommandSet([
      { tag: 0x00000002, value: `${CT_IMAGE_STORAGE}\0` },
      { tag: 0x00000100, us: 0x0001 },
      { tag: 0x00000110, us: 77 },
      { tag: 0x00000700, us: 0 },
      { tag: 0x00000800, us: 1 },
    ]);
    l.clientAssociation.sendPData([{ presentationContextId: 5, isCommand: true, isLast: true, data: bytes }]);
    l.clientAssociation.sendPData([{ presentationContextId: 5, isCommand: false, isLast: true, data: sample(1000) }]);
    await until(() => got.length === 1);
    expect(got).toEqual([{ status: 0x0212, offending: [0x00001000], comment: expect.stringContaining('Affected') }]);
    expect((await l.client.echo()).status.code).toBe(0);
  });

  it('answers an unknown command field with 0x0211 in a response of the same number', async () => {
    const l = await loopback();
    const got: number[][] = [];
    const channel = channelOf(l.clientAssociation);
    channel.expectResponses(9, (m) => got.push([m.command.commandField, m.command.status!]));
    const bytes = encodeCommandSet(
      { commandField: 0x0031, messageId: 9, commandDataSetType: CommandDataSetType.Absent },
      { validate: false },
    );
    l.clientAssociation.sendPData([{ presentationContextId: 1, isCommand: true, isLast: true, data: bytes }]);
    await until(() => got.length === 1);
    expect(got).toEqual([[0x8031, 0x0211]]);
    expect((await l.client.echo()).status.code).toBe(0);
  });

  it('aborts on a lying group length, a data set without command, oversized or interleaved fragments', async () => {
    for (const bad of [
      'group-length',
      'orphan-dataset',
      'huge-command',
      'context-switch',
      'command-in-dataset',
    ] as const) {
      const l = await loopback();
      if (bad === 'group-length') {
        const bytes = rawCommandSet(
          [
            { tag: 0x00000002, value: `${VERIFICATION}\0` },
            { tag: 0x00000100, us: 0x0030 },
            { tag: 0x00000110, us: 1 },
            { tag: 0x00000800, us: 0x0101 },
          ],
          { groupLengthDelta: 4 },
        );
        l.clientAssociation.sendPData([{ presentationContextId: 1, isCommand: true, isLast: true, data: bytes }]);
      } else if (bad === 'orphan-dataset') {
        l.clientAssociation.sendPData([{ presentationContextId: 1, isCommand: false, isLast: true, data: sample(10) }]);
      } else if (bad === 'context-switch' || bad === 'command-in-dataset') {
        const store = encodeCommandSet({
          commandField: CommandField['C-STORE-RQ'],
          messageId: 1,
          affectedSopClassUid: CT_IMAGE_STORAGE,
          affectedSopInstanceUid: UID,
          priority: 0,
          commandDataSetType: CommandDataSetType.Present,
        });
        l.clientAssociation.sendPData([{ presentationContextId: 5, isCommand: true, isLast: true, data: store }]);
        l.clientAssociation.sendPData([
          { presentationContextId: 5, isCommand: false, isLast: false, data: sample(100) },
        ]);
        l.clientAssociation.sendPData([
          bad === 'context-switch'
            ? { presentationContextId: 7, isCommand: false, isLast: true, data: sample(100) }
            : { presentationContextId: 5, isCommand: true, isLast: true, data: store },
        ]);
      } else {
        for (let i = 0; i < 40; i++) {
          l.clientAssociation.sendPData([
            { presentationContextId: 1, isCommand: true, isLast: false, data: sample(10_000) },
          ]);
        }
      }
      expect((await l.serverAssociation.closed).reason).toBe('aborted');
      expect((await l.clientAssociation.closed).reason).toBe('peer-aborted');
    }
    const fresh = await loopback();
    expect((await fresh.client.echo()).status.code).toBe(0);
  });

  it('fails outstanding requests when the association ends', async () => {
    let handlerSignal: AbortSignal | undefined;
    const l = await loopback({
      handlers: {
        onStore: async (ctx) => {
          handlerSignal = ctx.signal;
          await readAll(ctx.dataset);
          await new Promise(() => undefined);
        },
      },
    });
    const store = l.client.store({
      dataset: sample(10_000),
      sopClassUid: CT_IMAGE_STORAGE,
      sopInstanceUid: UID,
      transferSyntax: EXPLICIT,
    });
    const outcome = store.then(
      () => 'resolved',
      (error: unknown) => error,
    );
    await until(() => handlerSignal !== undefined && l.server.active === 1);
    await l.serverAssociation.abort();
    const error = await outcome;
    expect(error).toBeInstanceOf(AssociationEndedError);
    expect((error as AssociationEndedError).reason).toBe('peer-aborted');
    expect(handlerSignal?.aborted).toBe(true);
  });
});

describe('timeouts, signals, release and roles', () => {
  it('responseTimeout aborts the association when no response comes', async () => {
    const l = await loopback({
      clientOptions: { responseTimeout: 200 },
      handlers: { onEcho: () => new Promise<void>(() => undefined) },
    });
    const error = await l.client.echo().then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(OperationAbortedError);
    expect(error).toBeInstanceOf(ResponseTimeoutError);
    expect(error).toMatchObject({ code: 'ERR_NETDICOM_DIMSE_RESPONSE_TIMEOUT', timeoutMs: 200 });
    expect((await l.clientAssociation.closed).reason).toBe('aborted');
  });

  it('a signal aborted while waiting stops the wait; the late response is still consumed', async () => {
    let release!: () => void;
    const l = await loopback({
      handlers: {
        onEcho: (ctx) =>
          ctx.messageId === 1
            ? new Promise<void>((r) => {
                release = r;
              })
            : undefined,
      },
      window: { maxOperationsInvoked: 2, maxOperationsPerformed: 2 },
    });
    const controller = new AbortController();
    const waiting = l.client.echo({ signal: controller.signal });
    await until(() => l.server.active === 1);
    controller.abort(new Error('user gave up'));
    await expect(waiting).rejects.toThrow('user gave up');
    expect(l.client.outstanding).toBe(1);
    release();
    await until(() => l.client.outstanding === 0);
    expect(l.client.outstanding).toBe(0);
    expect((await l.client.echo()).status.code).toBe(0);
    expect(l.clientAssociation.state).toBe('Sta6');
  });

  it('a release requested with a store outstanding waits for its response', async () => {
    let reads = 0;
    const l = await loopback({
      handlers: {
        onStore: async (ctx) => {
          await readAll(ctx.dataset);
          reads++;
          await new Promise((r) => setTimeout(r, 200));
          return Status.CoercionOfDataElements;
        },
      },
    });
    const store = l.client.store({
      dataset: sample(50_000),
      sopClassUid: CT_IMAGE_STORAGE,
      sopInstanceUid: UID,
      transferSyntax: EXPLICIT,
    });
    await until(() => l.server.active === 1 && reads === 1);
    await l.clientAssociation.release();
    expect((await store).status.code).toBe(0xb000);
    expect((await l.serverAssociation.closed).reason).toBe('released');
  });

  it('the acceptor stores to a requestor that took the SCP role (PS3.7 D.3.3.4), on one shared channel', async () => {
    const { received, onStore } = recordingStore();
    const server = createAssociationServer({
      onAssociationRequest: createAcceptancePolicy({ abstractSyntaxes: 'any', transferSyntaxes: 'any' }),
    });
    const acceptorSide = new Promise<Association>((resolve) => server.associations$.subscribe(resolve));
    const { port } = await server.listen(0, '127.0.0.1');
    try {
      const requestor = await connect({
        host: '127.0.0.1',
        port,
        callingAeTitle: 'MOVE_DEST',
        calledAeTitle: 'ARCHIVE',
        presentationContexts: [
          { abstractSyntax: VERIFICATION, transferSyntaxes: [EXPLICIT] },
          { abstractSyntax: CT_IMAGE_STORAGE, transferSyntaxes: [EXPLICIT], scuRole: true, scpRole: true },
        ],
      });
      // The requestor both invokes (echo) and performs (store) on the same association.
      createDimseServer(requestor, { onStore });
      const requestorClient = createDimseClient(requestor);
      const acceptor = await acceptorSide;
      createDimseServer(acceptor, {});
      const acceptorClient = createDimseClient(acceptor);
      const [stored, echoed] = await Promise.all([
        acceptorClient.store({
          dataset: sample(70_000),
          sopClassUid: CT_IMAGE_STORAGE,
          sopInstanceUid: UID,
          transferSyntax: EXPLICIT,
        }),
        requestorClient.echo(),
      ]);
      expect(stored.status.code).toBe(0);
      expect(echoed.status.code).toBe(0);
      expect(received[0]!.bytes.equals(Buffer.from(sample(70_000)))).toBe(true);
      // Verification was proposed without role selection: the acceptor may not invoke it.
      await expect(acceptorClient.echo()).rejects.toBeInstanceOf(NoPresentationContextError);
      await requestor.release();
    } finally {
      await server.close();
    }
  });
});

describe('responses that break the protocol', () => {
  async function rawResponder(reply: (messageId: number) => Uint8Array) {
    const server = createAssociationServer({
      onAssociationRequest: createAcceptancePolicy({ abstractSyntaxes: 'any', transferSyntaxes: 'any' }),
    });
    server.associations$.subscribe((association) => {
      association.pData$.subscribe((pdu) => {
        const request = decodeCommandSet(pdu.pdvs[0]!.data);
        association.sendPData([
          { presentationContextId: 1, isCommand: true, isLast: true, data: reply(request.messageId!) },
        ]);
      });
    });
    const { port } = await server.listen(0, '127.0.0.1');
    const association = await connect({
      host: '127.0.0.1',
      port,
      callingAeTitle: 'SCU',
      calledAeTitle: 'RAW',
      presentationContexts: [{ abstractSyntax: VERIFICATION, transferSyntaxes: [EXPLICIT] }],
    });
    open.push({ close: () => server.close() } as Loopback);
    return { association, client: createDimseClient(association) };
  }

  const cases: [string, (id: number) => Uint8Array][] = [
    [
      'no Status',
      (id) =>
        rawCommandSet([
          { tag: 0x00000100, us: 0x8030 },
          { tag: 0x00000120, us: id },
          { tag: 0x00000800, us: 0x0101 },
        ]),
    ],
    [
      'the wrong response type',
      (id) =>
        encodeCommandSet({
          commandField: CommandField['C-STORE-RSP'],
          messageIdBeingRespondedTo: id,
          commandDataSetType: CommandDataSetType.Absent,
          status: 0,
        }),
    ],
    [
      'an unknown Message ID',
      (id) =>
        encodeCommandSet({
          commandField: CommandField['C-ECHO-RSP'],
          messageIdBeingRespondedTo: id + 1000,
          commandDataSetType: CommandDataSetType.Absent,
          status: 0,
        }),
    ],
  ];
  for (const [what, reply] of cases) {
    it(`a response with ${what} fails the request and aborts`, async () => {
      const { association, client } = await rawResponder(reply);
      const error = await client.echo().then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(DimseProtocolError);
      expect((await association.closed).reason).toBe('aborted');
    });
  }
});

describe('requests waiting for the window hold no data', () => {
  it('opens a file only once its request has a slot', async () => {
    let release!: () => void;
    const l = await loopback({
      handlers: {
        onStore: async (ctx) => {
          await readAll(ctx.dataset);
          await new Promise<void>((r) => {
            release = r;
          });
        },
      },
    });
    const dataset = buildDataset(sampleElements(), 'explicit-le');
    const paths = [join(dir, 'w1.dcm'), join(dir, 'w2.dcm')];
    for (const path of paths) {
      await writeFile(
        path,
        buildPart10(dataset, { transferSyntax: EXPLICIT, sopClassUid: CT_IMAGE_STORAGE, sopInstanceUid: UID }),
      );
    }
    const first = l.client.store({ dataset: { path: paths[0]! } });
    const second = l.client.store({ dataset: { path: paths[1]! } });
    await until(() => l.client.queued === 1 && (release as (() => void) | undefined) !== undefined);
    expect(l.client.outstanding).toBe(1);
    expect(l.client.queued).toBe(1);
    // The waiting request has not read its file yet: removing it now makes that request fail, alone.
    await rm(paths[1]!);
    release();
    expect((await first).status.code).toBe(0);
    await expect(second).rejects.toBeInstanceOf(DatasetSourceError);
    expect((await l.client.echo()).status.code).toBe(0);
  });
});

describe('services not implemented here', () => {
  it('answers C-FIND-RQ with 0x0211 after dropping its identifier', async () => {
    const l = await loopback({
      contexts: [{ abstractSyntax: '1.2.840.10008.5.1.4.1.2.2.1', transferSyntaxes: [EXPLICIT] }],
    });
    const channel = channelOf(l.clientAssociation);
    const got: { status: number; comment: string | undefined }[] = [];
    channel.expectResponses(3, (m) => got.push({ status: m.command.status!, comment: m.command.errorComment }));
    await channel.send(
      1,
      {
        commandField: CommandField['C-FIND-RQ'],
        messageId: 3,
        affectedSopClassUid: '1.2.840.10008.5.1.4.1.2.2.1',
        priority: 0,
        commandDataSetType: CommandDataSetType.Present,
      },
      buildDataset([{ tag: 0x00100020, vr: 'LO', value: 'PID*' }], 'explicit-le'),
    );
    await until(() => got.length === 1);
    expect(got).toEqual([{ status: 0x0211, comment: 'C-FIND-RQ is not served here' }]);
  });
});

describe('many associations aborted mid-store', () => {
  it('leave the server serving and its connections closed', async () => {
    const errors: unknown[] = [];
    const l = await loopback({
      handlers: {
        onStore: async (ctx) => {
          await readAll(ctx.dataset).catch((e: unknown) => errors.push(e));
        },
      },
    });
    for (let i = 0; i < 30; i++) {
      const association = await connect({
        host: '127.0.0.1',
        port: l.port,
        callingAeTitle: 'FLAKY',
        calledAeTitle: 'SCP',
        presentationContexts: [{ abstractSyntax: CT_IMAGE_STORAGE, transferSyntaxes: [EXPLICIT] }],
      });
      const client = createDimseClient(association);
      async function* slow() {
        yield sample(100_000);
        await new Promise((r) => setTimeout(r, 5));
        yield sample(100_000);
      }
      const store = client.store({
        dataset: slow(),
        sopClassUid: CT_IMAGE_STORAGE,
        sopInstanceUid: UID,
        transferSyntax: EXPLICIT,
      });
      const outcome = store.then(
        () => 'stored',
        (e: unknown) => e,
      );
      await new Promise((r) => setTimeout(r, 2));
      await association.abort();
      expect(await outcome).toBeInstanceOf(AssociationEndedError);
    }
    while (l.associationServer.connectionCount > 1) await new Promise((r) => setTimeout(r, 20));
    expect(errors.every((e) => e instanceof AssociationEndedError)).toBe(true);
    expect((await l.client.echo()).status.code).toBe(0);
  });
});

describe('backpressure to the socket', () => {
  it('a slow handler holds at most a few hundred KB of a 32 MB data set', async () => {
    let maxHeld = 0;
    let l!: Loopback;
    l = await loopback({
      serverOptions: { datasetHighWaterMark: 64 * 1024 },
      handlers: {
        onStore: async (ctx) => {
          let received = 0;
          for await (const chunk of ctx.dataset as AsyncIterable<Buffer>) {
            received += chunk.length;
            maxHeld = Math.max(maxHeld, ctx.dataset.readableLength + l.serverAssociation.incomingBufferedBytes);
            // A slow disk: one chunk every millisecond or so.
            await new Promise((r) => setTimeout(r, 1));
          }
          return received === 32 * 1024 * 1024 ? 0 : 0xc000;
        },
      },
    });
    const response = await l.client.store({
      dataset: new Uint8Array(32 * 1024 * 1024),
      sopClassUid: CT_IMAGE_STORAGE,
      sopInstanceUid: UID,
      transferSyntax: EXPLICIT,
    });
    expect(response.status.code).toBe(0);
    // Stream buffer (64 KiB) plus what the association holds (one socket read, one PDU being assembled).
    expect(maxHeld).toBeGreaterThan(0);
    expect(maxHeld).toBeLessThan(1024 * 1024);
  });
});

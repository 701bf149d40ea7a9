/**
 * Interoperability with real DCMTK peers on loopback: our client against `storescp`, and `echoscu`/`storescu`/
 * `dcmsend` against our server, in implicit, explicit, big-endian and deflated transfer syntaxes and with compressed
 * data (JPEG lossless, RLE) passed through unchanged. Data set bytes must arrive identical.
 */
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buffer as readAll } from 'node:stream/consumers';
import {
  type AssociationServer,
  connect,
  createAcceptancePolicy,
  createAssociationServer,
} from '@netdicom/association';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createDimseClient } from './client.js';
import { decodeCommandSet, encodeCommandSet } from './commands.js';
import { parsePart10Header } from './header-reader.js';
import { createDimseServer, type StoreContext } from './server.js';
import { type BuiltElement, buildDataset, buildPart10 } from './testing/dataset-builder.js';
import { type RunningScp, startStorescp } from '@netdicom/test-peers';
import { convertFile, runTool } from './testing/dcmtk.js';
import {
  BIG_ENDIAN,
  CT_IMAGE_STORAGE,
  DEFLATED,
  EXPLICIT,
  IMPLICIT,
  SECONDARY_CAPTURE,
  VERIFICATION,
} from './testing/loopback.js';
import { messagesOf, startRecordingProxy } from './testing/recording-proxy.js';

const JPEG_LOSSLESS = '1.2.840.10008.1.2.4.70';
const RLE = '1.2.840.10008.1.2.5';

interface Fixture {
  readonly name: string;
  readonly path: string;
  readonly transferSyntax: string;
  readonly sopClassUid: string;
  readonly sopInstanceUid: string;
  /** The data set bytes of the file (after its meta information). */
  readonly dataset: Buffer;
}

let dir: string;
const fixtures: Fixture[] = [];

function image(sopClassUid: string, sopInstanceUid: string, bits: 8 | 16): BuiltElement[] {
  const rows = 64;
  const pixels = new Uint8Array(rows * rows * (bits / 8)).map((_, i) => (i * 13 + (i >> 7)) & 0xff);
  const us = (n: number) => new Uint8Array([n & 0xff, n >> 8]);
  return [
    { tag: 0x00080016, vr: 'UI', value: sopClassUid },
    { tag: 0x00080018, vr: 'UI', value: sopInstanceUid },
    { tag: 0x00080060, vr: 'CS', value: bits === 8 ? 'OT' : 'CT' },
    { tag: 0x00100010, vr: 'PN', value: 'Interop^Test' },
    { tag: 0x00100020, vr: 'LO', value: 'DCMTK-1' },
    { tag: 0x0020000d, vr: 'UI', value: '1.2.826.0.1.3680043.10.777.1' },
    { tag: 0x0020000e, vr: 'UI', value: '1.2.826.0.1.3680043.10.777.2' },
    { tag: 0x00280002, vr: 'US', value: us(1) },
    { tag: 0x00280004, vr: 'CS', value: 'MONOCHROME2' },
    { tag: 0x00280010, vr: 'US', value: us(rows) },
    { tag: 0x00280011, vr: 'US', value: us(rows) },
    { tag: 0x00280100, vr: 'US', value: us(bits) },
    { tag: 0x00280101, vr: 'US', value: us(bits) },
    { tag: 0x00280102, vr: 'US', value: us(bits - 1) },
    { tag: 0x00280103, vr: 'US', value: us(0) },
    { tag: 0x7fe00010, vr: bits === 8 ? 'OB' : 'OW', value: pixels },
  ];
}

async function addFixture(
  name: string,
  transferSyntax: string,
  make: (source: string, out: string) => Promise<unknown>,
) {
  const sopInstanceUid = `1.2.826.0.1.3680043.10.777.3.${fixtures.length + 1}`;
  const sopClassUid = name.startsWith('sc-') ? SECONDARY_CAPTURE : CT_IMAGE_STORAGE;
  const source = join(dir, `${name}-source.dcm`);
  await writeFile(
    source,
    buildPart10(buildDataset(image(sopClassUid, sopInstanceUid, name.startsWith('sc-') ? 8 : 16), 'explicit-le'), {
      transferSyntax: EXPLICIT,
      sopClassUid,
      sopInstanceUid,
    }),
  );
  const path = join(dir, `${name}.dcm`);
  await make(source, path);
  const bytes = await readFile(path);
  const header = parsePart10Header(bytes)!;
  expect(header.transferSyntax).toBe(transferSyntax);
  fixtures.push({
    name,
    path,
    transferSyntax,
    sopClassUid,
    sopInstanceUid,
    dataset: bytes.subarray(header.datasetOffset),
  });
}

const fixture = (name: string) => fixtures.find((f) => f.name === name)!;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'dimse-dcmtk-'));
  await addFixture('implicit', IMPLICIT, (s, o) => convertFile(s, '+ti', o));
  await addFixture('explicit', EXPLICIT, (s, o) => convertFile(s, '+te', o));
  await addFixture('big-endian', BIG_ENDIAN, (s, o) => convertFile(s, '+tb', o));
  await addFixture('deflated', DEFLATED, (s, o) => convertFile(s, '+td', o));
  await addFixture('jpeg-lossless', JPEG_LOSSLESS, (s, o) => runTool('dcmcjpeg', ['+e1', s, o]));
  await addFixture('sc-rle', RLE, (s, o) => runTool('dcmcrle', [s, o]));
}, 60_000);

const stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const stop of stops.splice(0)) await stop();
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('our client -> DCMTK storescp', () => {
  let scp: RunningScp;
  let out: string;

  beforeAll(async () => {
    out = join(dir, 'storescp-out');
    await mkdir(out);
    // Bit-preserving (+B): storescp writes the data set bytes exactly as received.
    scp = await startStorescp({ outputDir: out, acceptAll: true, extraArgs: ['+B'] });
  });
  afterAll(async () => {
    await scp?.stop();
  });

  it('C-ECHO and C-STORE of every transfer syntax on one association; storescp writes identical bytes', async () => {
    const association = await connect({
      host: '127.0.0.1',
      port: scp.port,
      callingAeTitle: 'NETDICOM',
      calledAeTitle: 'STORESCP',
      presentationContexts: [
        { abstractSyntax: VERIFICATION, transferSyntaxes: [EXPLICIT] },
        ...fixtures.map((f) => ({ abstractSyntax: f.sopClassUid, transferSyntaxes: [f.transferSyntax] })),
      ],
    });
    stops.push(async () => {
      if (association.state === 'Sta6') await association.abort();
    });
    const client = createDimseClient(association);
    expect((await client.echo()).status).toEqual({ code: 0, category: 'success', name: 'Success' });
    for (const f of fixtures) {
      const response = await client.store({ dataset: { path: f.path } });
      expect(response.status.code, f.name).toBe(0);
      expect(response).toMatchObject({ transferSyntax: f.transferSyntax, sopInstanceUid: f.sopInstanceUid });
      expect(response.command.affectedSopInstanceUid).toBe(f.sopInstanceUid);
    }
    await association.release();
    const written = await readdir(out);
    for (const f of fixtures) {
      const file = written.find((name) => name.endsWith(f.sopInstanceUid));
      expect(file, f.name).toBeDefined();
      const bytes = await readFile(join(out, file!));
      const header = parsePart10Header(bytes)!;
      expect(header.transferSyntax, f.name).toBe(f.transferSyntax);
      expect(bytes.subarray(header.datasetOffset).equals(f.dataset), `${f.name} bytes`).toBe(true);
    }
  });

  it('stores from memory and streams too, in the transfer syntax storescp accepted', async () => {
    const f = fixture('big-endian');
    const association = await connect({
      host: '127.0.0.1',
      port: scp.port,
      callingAeTitle: 'NETDICOM',
      calledAeTitle: 'STORESCP',
      presentationContexts: [{ abstractSyntax: CT_IMAGE_STORAGE, transferSyntaxes: [BIG_ENDIAN] }],
      maxPduLength: 4096,
    });
    stops.push(async () => {
      if (association.state === 'Sta6') await association.abort();
    });
    const client = createDimseClient(association);
    const response = await client.store({
      dataset: f.dataset,
      sopClassUid: f.sopClassUid,
      sopInstanceUid: f.sopInstanceUid,
    });
    expect(response.status.code).toBe(0);
    expect(response.transferSyntax).toBe(BIG_ENDIAN);
    await association.release();
  });
});

describe('DCMTK SCUs -> our server', () => {
  let associationServer: AssociationServer;
  let port: number;
  const received = new Map<string, { context: StoreContext; bytes: Buffer }>();
  const echoes: number[] = [];

  beforeAll(async () => {
    associationServer = createAssociationServer({
      onAssociationRequest: createAcceptancePolicy({
        abstractSyntaxes: 'any',
        // Exactly what the fixtures are in, each preferred over converting: DCMTK sends files unchanged then.
        transferSyntaxes: 'any',
      }),
    });
    associationServer.associations$.subscribe((association) => {
      createDimseServer(association, {
        onEcho: (ctx) => {
          echoes.push(ctx.messageId);
        },
        onStore: async (ctx) => {
          received.set(ctx.sopInstanceUid, { context: ctx, bytes: await readAll(ctx.dataset) });
        },
      });
    });
    port = (await associationServer.listen(0, '127.0.0.1')).port;
  });
  afterAll(async () => {
    await associationServer?.close();
  });

  it('echoscu', async () => {
    const before = echoes.length;
    await runTool('echoscu', ['-aec', 'NETDICOM', '127.0.0.1', String(port)]);
    expect(echoes.length).toBe(before + 1);
  });

  it('storescu sends implicit, explicit and big-endian files in their own transfer syntax; bytes identical', async () => {
    const proposals: Record<string, string> = { implicit: '-xi', explicit: '-xe', 'big-endian': '-xb' };
    for (const [name, flag] of Object.entries(proposals)) {
      const f = fixture(name);
      // Propose only the file's own syntax first, so the acceptor's 'any' (requestor's first choice) matches it.
      await runTool('storescu', [flag, '-aec', 'NETDICOM', '127.0.0.1', String(port), f.path]);
      const got = received.get(f.sopInstanceUid);
      expect(got, name).toBeDefined();
      expect(got!.context.transferSyntax, name).toBe(f.transferSyntax);
      expect(got!.bytes.equals(f.dataset), `${name} bytes`).toBe(true);
    }
  });

  it('dcmsend passes deflated and compressed (JPEG lossless, RLE) data through unchanged', async () => {
    for (const name of ['deflated', 'jpeg-lossless', 'sc-rle']) {
      const f = fixture(name);
      await runTool('dcmsend', ['--decompress-never', '-aec', 'NETDICOM', '127.0.0.1', String(port), f.path]);
      const got = received.get(f.sopInstanceUid);
      expect(got, name).toBeDefined();
      expect(got!.context.transferSyntax, name).toBe(f.transferSyntax);
      expect(got!.bytes.equals(f.dataset), `${name} bytes`).toBe(true);
    }
  });

  it('storescu sends several files on one association, with 4096-byte PDUs', async () => {
    received.clear();
    const files = ['implicit', 'explicit'].map(fixture);
    await runTool('storescu', [
      '-xi',
      '-pdu',
      '4096',
      '-aec',
      'NETDICOM',
      '127.0.0.1',
      String(port),
      ...files.map((f) => f.path),
    ]);
    for (const f of files) expect(received.has(f.sopInstanceUid)).toBe(true);
  });
});

describe('command sets recorded live from DCMTK decode and re-encode exactly', () => {
  it('echoscu/storescu -> storescp through a recording proxy', async () => {
    const out = join(dir, 'proxy-out');
    await mkdir(out);
    const scp = await startStorescp({ outputDir: out });
    stops.push(() => scp.stop());
    const proxy = await startRecordingProxy(scp.port);
    stops.push(() => proxy.close());
    await runTool('echoscu', ['127.0.0.1', String(proxy.port)]);
    await runTool('storescu', ['127.0.0.1', String(proxy.port), fixture('explicit').path]);
    const commands = [...messagesOf(proxy.bytes('to-target')), ...messagesOf(proxy.bytes('from-target'))].map(
      (m) => m.command,
    );
    expect(commands.map((c) => decodeCommandSet(c).commandField).sort((a, b) => a - b)).toEqual([
      0x0001, 0x0030, 0x8001, 0x8030,
    ]);
    for (const bytes of commands)
      expect(Buffer.from(encodeCommandSet(decodeCommandSet(bytes))).equals(bytes)).toBe(true);
  });
});

/**
 * Throughput of the P-DATA-TF hot path (PS3.8 9.3.5): encodePdu (one buffer, copies the fragment), encodePduParts
 * (header parts plus the fragment itself, no copy), decodePdu, and the streaming reader fed 64 KiB chunks like a
 * socket. Also A-ASSOCIATE-RQ/AC encode/decode of the 128-context request DCMTK's storescu sends.
 * Run: `pnpm --filter @netdicom/pdu bench`. Prints a table; nothing is asserted.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createPduReader, decodePdu, encodePdu, encodePduParts, type Pdu, type PDataTf } from '@netdicom/pdu';

const KiB = 1024;
const MiB = 1024 * 1024;

interface Row {
  operation: string;
  size: string;
  'MB/s': string;
  'PDUs/s': string;
}

/** Runs `fn` repeatedly for about `ms` milliseconds after a warm-up; returns calls per second. */
function rate(fn: () => void, ms = 700): number {
  const warmUntil = performance.now() + 150;
  while (performance.now() < warmUntil) fn();
  let calls = 0;
  const start = performance.now();
  let now = start;
  while (now - start < ms) {
    for (let i = 0; i < 16; i++) fn();
    calls += 16;
    now = performance.now();
  }
  return (calls * 1000) / (now - start);
}

function fmt(n: number): string {
  return n >= 100 ? Math.round(n).toLocaleString('en-US') : n.toFixed(1);
}

function pdata(size: number): PDataTf {
  const data = new Uint8Array(size - 6).map((_, i) => i & 0xff);
  return { kind: 'P-DATA-TF', pdvs: [{ presentationContextId: 1, isCommand: false, isLast: false, data }] };
}

const rows: Row[] = [];
const row = (operation: string, size: string, bytesPerCall: number, callsPerSecond: number, pdusPerCall = 1) =>
  rows.push({
    operation,
    size,
    'MB/s': fmt((bytesPerCall * callsPerSecond) / 1e6),
    'PDUs/s': fmt(callsPerSecond * pdusPerCall),
  });

let sink = 0;
for (const [label, size] of [
  ['16 KiB', 16 * KiB],
  ['64 KiB', 64 * KiB],
  ['1 MiB', MiB],
] as const) {
  // `size` is the PDU-length (variable field), as negotiated Maximum Length Received values are.
  const pdu = pdata(size);
  const bytes = encodePdu(pdu);
  row(
    'encodePdu (copy)',
    label,
    bytes.length,
    rate(() => {
      sink += encodePdu(pdu).length;
    }),
  );
  row(
    'encodePduParts (no copy)',
    label,
    bytes.length,
    rate(() => {
      sink += encodePduParts(pdu).length;
    }),
  );
  row(
    'decodePdu',
    label,
    bytes.length,
    rate(() => {
      sink += (decodePdu(bytes) as PDataTf).pdvs.length;
    }),
  );

  // A 32 MiB stream of back-to-back PDUs, fed in 64 KiB chunks (views of one buffer, like socket reads).
  const count = Math.max(1, Math.floor((32 * MiB) / bytes.length));
  const stream = new Uint8Array(bytes.length * count);
  for (let i = 0; i < count; i++) stream.set(bytes, i * bytes.length);
  const chunk = 64 * KiB;
  row(
    'reader, 64 KiB chunks',
    label,
    stream.length,
    rate(() => {
      const reader = createPduReader({ maxPduLength: size });
      for (let at = 0; at < stream.length; at += chunk) sink += reader.push(stream.subarray(at, at + chunk)).length;
    }, 1500),
    count,
  );
}

const fixtures = join(dirname(fileURLToPath(import.meta.url)), '../src/testing/fixtures');
const first = (file: string): Uint8Array => {
  const all = new Uint8Array(readFileSync(join(fixtures, file)));
  const length = new DataView(all.buffer, all.byteOffset).getUint32(2);
  return all.slice(0, 6 + length);
};
for (const [label, file] of [
  ['A-ASSOCIATE-RQ, 128 contexts', 'store.scu.bin'],
  ['A-ASSOCIATE-AC, 128 contexts', 'store.scp.bin'],
] as const) {
  const bytes = first(file);
  const pdu: Pdu = decodePdu(bytes);
  row(
    `decodePdu ${label}`,
    `${(bytes.length / KiB).toFixed(1)} KiB`,
    bytes.length,
    rate(() => {
      sink += decodePdu(bytes).kind.length;
    }),
  );
  row(
    `encodePdu ${label}`,
    `${(bytes.length / KiB).toFixed(1)} KiB`,
    bytes.length,
    rate(() => {
      sink += encodePdu(pdu).length;
    }),
  );
}

console.log(`@netdicom/pdu P-DATA-TF throughput (Node ${process.version}, ${process.arch})`);
console.table(rows);
if (sink === 42) console.log('');

/**
 * splitPData (ConnectOptions / AssociationServerOptions): a P-DATA-TF spanning socket reads reaches pData$ in parts,
 * as views of the reads. The data of each PDV, joined, and the last-fragment bits are what was sent (PS3.8 E.2).
 */
import { firstValueFrom } from 'rxjs';
import { afterEach, describe, expect, it } from 'vitest';
import { connect } from './connect.js';
import { startServer, VERIFICATION, verificationOptions } from './testing/helpers.js';
import type { Association } from './types.js';
import { createAcceptancePolicy } from './policy.js';

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function pair(splitPData: boolean): Promise<{ client: Association; server: Association }> {
  const started = await startServer({
    splitPData,
    maxPduLength: 1 << 20,
    onAssociationRequest: createAcceptancePolicy({ abstractSyntaxes: [VERIFICATION], transferSyntaxes: 'any' }),
  });
  cleanups.push(started.close);
  const accepted = firstValueFrom(started.server.associations$);
  const client = await connect(verificationOptions(started.port, { maxPduLength: 1 << 20 }));
  cleanups.push(() => client.abort());
  return { client, server: await accepted };
}

describe('splitPData', () => {
  for (const splitPData of [true, false]) {
    it(`${splitPData ? 'with' : 'without'} it, a 600 KB PDV arrives ${splitPData ? 'in parts' : 'whole'}, the same bytes`, async () => {
      const { client, server } = await pair(splitPData);
      const data = Uint8Array.from({ length: 600_000 }, (_, i) => (i * 13 + 7) & 0xff);
      const parts: { data: Uint8Array; isLast: boolean; id: number; isCommand: boolean }[] = [];
      const done = new Promise<void>((resolve) => {
        server.pData$.subscribe((pdu) => {
          for (const pdv of pdu.pdvs) {
            parts.push({ data: pdv.data, isLast: pdv.isLast, id: pdv.presentationContextId, isCommand: pdv.isCommand });
            if (pdv.isLast) resolve();
          }
        });
      });
      const id = client.negotiated.acceptedContexts[0]!.id;
      client.sendPData([{ presentationContextId: id, isCommand: false, isLast: true, data }]);
      await done;
      if (splitPData) expect(parts.length).toBeGreaterThan(1);
      else expect(parts).toHaveLength(1);
      expect(parts.every((p) => p.id === id && !p.isCommand)).toBe(true);
      expect(parts.map((p) => p.isLast)).toEqual([...parts.slice(1).map(() => false), true]);
      expect(Buffer.concat(parts.map((p) => p.data)).equals(Buffer.from(data))).toBe(true);
      await client.release();
    });
  }
});

/**
 * UIDs under the `2.25.` root: the decimal form of a 128-bit UUID (PS3.5 B.2), so no organisation root is needed.
 *
 * @packageDocumentation
 */
import { createHash, randomBytes } from 'node:crypto';

function uuidToUid(bytes: Uint8Array, version: number): string {
  const b = Uint8Array.from(bytes.subarray(0, 16));
  b[6] = (b[6]! & 0x0f) | (version << 4);
  b[8] = (b[8]! & 0x3f) | 0x80; // RFC 9562 variant
  const value = BigInt(`0x${Buffer.from(b).toString('hex')}`);
  return `2.25.${value.toString(10)}`;
}

/** A fresh random UID `2.25.<UUIDv4 as decimal>` (PS3.5 B.2); at most 44 characters. */
export function createUid(): string {
  return uuidToUid(randomBytes(16), 4);
}

/**
 * A UID derived from a name: the same name always gives the same UID, different names different UIDs (a UUIDv8 built
 * from SHA-256 of the name, PS3.5 B.2). Used for fixtures that must be identical across runs and processes.
 */
export function uidFromName(name: string): string {
  return uuidToUid(createHash('sha256').update(name, 'utf8').digest(), 8);
}

/** Implementation Class UID written in the File Meta Information of every file this package writes (PS3.7 D.3.3.2). */
export const IMPLEMENTATION_CLASS_UID = uidFromName('netdicom/test-peers implementation class');

/** Implementation Version Name written with it (PS3.7 D.3.3.2; at most 16 characters). */
export const IMPLEMENTATION_VERSION_NAME = 'NETDICOM_PEERS1';

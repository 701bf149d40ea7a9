/**
 * Tag -> VR look-up in the PS3.6 data dictionary, used to make Implicit VR datasets explicit (PS3.5 section 7.1.3,
 * where the VR is known only from the dictionary). The table is generated into `dictionary-data.ts`.
 */

import { ELEMENT_RANGES, EXACT_ENTRIES, GROUP_RANGES } from './dictionary-data.js';

let exact: Map<number, string> | undefined;

function table(): Map<number, string> {
  if (exact) return exact;
  exact = new Map();
  for (let i = 0; i + 10 <= EXACT_ENTRIES.length; i += 10) {
    exact.set(Number.parseInt(EXACT_ENTRIES.slice(i, i + 8), 16) >>> 0, EXACT_ENTRIES.slice(i + 8, i + 10));
  }
  return exact;
}

/**
 * The dictionary VR of a tag (`(group << 16 | element) >>> 0`), or `undefined` when the tag is not in PS3.6.
 * Context-dependent VRs come back in lower case: `xs` (US or SS), `ox` (OB or OW), `lt` (US, SS or OW), `px` (Pixel
 * Data), `na` (items and delimiters). Group lengths are `UL`; private creators (gggg,0010-00FF), odd gggg, are `LO`.
 */
export function dictionaryVr(tag: number): string | undefined {
  const group = tag >>> 16;
  const element = tag & 0xffff;
  if (element === 0) return 'UL';
  if (group & 1) return element >= 0x10 && element <= 0xff ? 'LO' : undefined;
  const found = table().get(tag >>> 0);
  if (found) return found;
  for (const [lo, hi, el, vr] of GROUP_RANGES) {
    if (element === el && group >= lo && group <= hi && (group & 1) === 0) return vr;
  }
  for (const [g, lo, hi, vr] of ELEMENT_RANGES) {
    if (group === g && element >= lo && element <= hi) return vr;
  }
  return undefined;
}

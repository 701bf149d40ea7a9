/**
 * Value Representations by the shape of their explicit-VR element header, PS3.5 Table 7.1-1 and 7.1-2: the one table
 * of them in netdicom (the header reader and @netdicom/store-scu's transcoder both use it).
 */

/** VRs whose explicit header has 2 reserved bytes and a 32-bit length (PS3.5 Table 7.1-1). */
export const LONG_LENGTH_VRS: ReadonlySet<string> = new Set([
  'OB',
  'OD',
  'OF',
  'OL',
  'OV',
  'OW',
  'SQ',
  'SV',
  'UC',
  'UN',
  'UR',
  'UT',
  'UV',
]);

/** VRs whose explicit header has a 16-bit length (PS3.5 Table 7.1-2). */
export const SHORT_LENGTH_VRS: ReadonlySet<string> = new Set([
  'AE',
  'AS',
  'AT',
  'CS',
  'DA',
  'DS',
  'DT',
  'FD',
  'FL',
  'IS',
  'LO',
  'LT',
  'PN',
  'SH',
  'SL',
  'SS',
  'ST',
  'TM',
  'UI',
  'UL',
  'US',
]);

/** Whether `vr` is one of the VRs of PS3.5 Table 6.2-1. */
export function isKnownVr(vr: string): boolean {
  return LONG_LENGTH_VRS.has(vr) || SHORT_LENGTH_VRS.has(vr);
}

/** Whether an explicit VR header for `vr` carries a 32-bit length (PS3.5 7.1.2). */
export function hasLongLength(vr: string): boolean {
  return LONG_LENGTH_VRS.has(vr);
}

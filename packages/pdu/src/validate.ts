/**
 * Validation of AE titles and UIDs, the two value formats the PDU codec checks (PS3.8 9.3.2, PS3.5 6.2 and 9.1).
 */

/**
 * True when `title` is a valid AE title as the value of the Called-/Calling-AE-title fields of an A-ASSOCIATE-RQ:
 * 1 to 16 characters of the ISO 646:1990 Basic G0 Set (PS3.8 9.3.2), that is printable ASCII `0x20`–`0x7E`, without
 * the backslash `0x5C` and control characters that the AE value representation excludes (PS3.5 6.2), and not made
 * of spaces only ("shall not be used"). Leading and trailing spaces are allowed here but are not significant: the
 * decoder removes them.
 */
export function isValidAeTitle(title: string): boolean {
  if (typeof title !== 'string' || title.length < 1 || title.length > 16) return false;
  let nonSpace = false;
  for (let i = 0; i < title.length; i++) {
    const c = title.charCodeAt(i);
    if (c < 0x20 || c > 0x7e || c === 0x5c) return false;
    if (c !== 0x20) nonSpace = true;
  }
  return nonSpace;
}

/**
 * True when `uid` is a UID as PS3.5 9.1 defines it: 1 to 64 characters, components of digits separated by single
 * dots, no empty component, and no leading zero in a component unless the component is `0` itself. No padding.
 * Use it to check UIDs you are about to send; the codec itself enforces the more lenient {@link isLenientUid}.
 */
export function isValidUid(uid: string): boolean {
  if (typeof uid !== 'string' || uid.length < 1 || uid.length > 64) return false;
  let componentStart = 0;
  for (let i = 0; i <= uid.length; i++) {
    const c = i < uid.length ? uid.charCodeAt(i) : 0x2e;
    if (c === 0x2e) {
      const len = i - componentStart;
      if (len === 0) return false;
      if (len > 1 && uid.charCodeAt(componentStart) === 0x30) return false;
      componentStart = i + 1;
    } else if (c < 0x30 || c > 0x39) {
      return false;
    }
  }
  return true;
}

/**
 * True when `uid` is 1 to 64 characters of digits and dots: what the decoder requires of every UID it tests on
 * receipt (after removing trailing NUL and space padding) and what the encoder requires of every UID it writes.
 * Leading zeros and empty components, which PS3.5 9.1 forbids but which real peers have been seen to send in
 * Implementation Class UIDs, are tolerated so that such peers can still associate.
 */
export function isLenientUid(uid: string): boolean {
  if (typeof uid !== 'string' || uid.length < 1 || uid.length > 64) return false;
  for (let i = 0; i < uid.length; i++) {
    const c = uid.charCodeAt(i);
    if ((c < 0x30 || c > 0x39) && c !== 0x2e) return false;
  }
  return true;
}

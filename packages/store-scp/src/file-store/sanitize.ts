/**
 * The one place where peer-supplied values become file names (RELIABILITY.md class 4: CVE-2022-2119/2120 were a
 * sanitised code path with an unsanitised sibling). Every path component the file store writes goes through
 * {@link sanitizePathComponent}; UIDs are first checked against the PS3.5 9.1 grammar by {@link uidForPath}.
 *
 * @packageDocumentation
 */
import { createHash } from 'node:crypto';

/** Default maximum length in UTF-8 bytes of one path component (NAME_MAX is 255; we leave room for suffixes). */
export const DEFAULT_MAX_COMPONENT_BYTES = 200;

/**
 * Whether `value` is a UID per PS3.5 9.1: 1 to 64 characters, components of digits separated by single periods, no
 * component empty and none with a leading zero unless it is exactly `0`. Trailing NUL/space padding must already be
 * removed.
 */
export function isValidUid(value: string): boolean {
  if (value.length === 0 || value.length > 64) return false;
  for (const component of value.split('.')) {
    if (component.length === 0) return false;
    if (!/^[0-9]+$/.test(component)) return false;
    if (component.length > 1 && component.charCodeAt(0) === 0x30) return false;
  }
  return true;
}

/**
 * Removes DICOM value padding: trailing spaces and NULs (PS3.5 6.2), plus leading spaces (not significant for the
 * string VRs used for routing: LO, PN, CS, SH, DA, IS).
 */
export function stripDicomPadding(value: string): string {
  let end = value.length;
  while (end > 0) {
    const c = value.charCodeAt(end - 1);
    if (c !== 0 && c !== 0x20) break;
    end--;
  }
  let start = 0;
  while (start < end && value.charCodeAt(start) === 0x20) start++;
  return value.slice(start, end);
}

/** Short stable hash of a string: the first 16 hex digits of its SHA-256 over UTF-8. */
export function shortHash(value: string): string {
  return createHash('sha256').update(value, 'utf8').digest('hex').slice(0, 16);
}

/**
 * The value to use in a path for a UID: the UID itself when it is valid (PS3.5 9.1), otherwise
 * `INVALID-UID-<16 hex digits of SHA-256>` so that an invalid UID is never used raw yet still maps to one stable
 * name. Returns `undefined` for an empty or absent value (the layout substitutes its placeholder).
 */
export function uidForPath(value: string | undefined): string | undefined {
  if (value === undefined) return undefined;
  const v = stripDicomPadding(value);
  if (v.length === 0) return undefined;
  return isValidUid(v) ? v : `INVALID-UID-${shortHash(v)}`;
}

// Characters replaced by "_": separators and characters Windows forbids, C0/C1 controls and DEL, and the Unicode
// format characters that reorder or hide text (bidi overrides, zero-width characters, BOM).
const FORBIDDEN = /[\u0000-\u001f\u007f-\u009f/\\:*?"<>|\u200b-\u200f\u202a-\u202e\u2066-\u2069\ufeff]/g;
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;
const RESERVED = /^(con|prn|aux|nul|com[0-9\u00b9\u00b2\u00b3]|lpt[0-9\u00b9\u00b2\u00b3]|conin\$|conout\$)$/i;
const EXTENSION = /\.[A-Za-z0-9]{1,10}$/;

/** Options of {@link sanitizePathComponent}. */
export interface SanitizeOptions {
  /** Maximum length in UTF-8 bytes; longer results are truncated and suffixed with a hash. Default 200, minimum 40. */
  readonly maxBytes?: number;
}

/**
 * Turns any string into one safe path component. This is the only function through which a value reaches a file
 * name (PS3.10 does not constrain names for network storage; these rules are the union of what POSIX and Windows file
 * systems require, so a storage tree can be copied anywhere):
 *
 * - `/`, `\`, `:`, `*`, `?`, `"`, `<`, `>`, `|`, control characters (C0, DEL, C1, NUL), bidi and zero-width format
 *   characters, and unpaired surrogates become `_` (so a value can never add a directory level, name a drive or an
 *   absolute path);
 * - surrounding whitespace and trailing dots are removed (Windows drops them silently);
 * - a leading `.` becomes `_` (so no `.`, `..`, hidden files, nor a clash with the store's `.netdicom-tmp`);
 * - Windows device names (`CON`, `PRN`, `AUX`, `NUL`, `COM0-9`, `LPT0-9`, `CONIN$`, `CONOUT$`, with any extension,
 *   any case) get a leading `_`;
 * - a result longer than `maxBytes` UTF-8 bytes is truncated, keeping a short extension, with `~` and a 16-hex-digit
 *   SHA-256 of the original value appended, so distinct long values stay distinct;
 * - an empty result becomes `_`.
 *
 * The function is idempotent: sanitising a sanitised component returns it unchanged.
 */
export function sanitizePathComponent(raw: string, options: SanitizeOptions = {}): string {
  const maxBytes = Math.max(40, options.maxBytes ?? DEFAULT_MAX_COMPONENT_BYTES);
  let s = raw.replace(LONE_SURROGATE, '_').replace(FORBIDDEN, '_');
  s = trimEnds(s);
  if (s.startsWith('.')) s = `_${s.slice(1)}`;
  if (s.length === 0) s = '_';
  const base = s.split('.')[0]?.trimEnd() ?? '';
  if (RESERVED.test(base)) s = `_${s}`;
  if (Buffer.byteLength(s, 'utf8') > maxBytes) s = truncateWithHash(s, raw, maxBytes);
  return s;
}

function trimEnds(s: string): string {
  let end = s.length;
  while (end > 0) {
    const c = s[end - 1];
    if (c !== '.' && c !== undefined && !/\s/u.test(c)) break;
    end--;
  }
  let start = 0;
  while (start < end && /\s/u.test(s[start] ?? '')) start++;
  return s.slice(start, end);
}

function truncateWithHash(s: string, raw: string, maxBytes: number): string {
  const extMatch = EXTENSION.exec(s);
  const ext = extMatch ? extMatch[0] : '';
  const stem = ext ? s.slice(0, s.length - ext.length) : s;
  const suffix = `~${shortHash(raw)}${ext}`;
  const budget = maxBytes - suffix.length;
  let kept = '';
  let bytes = 0;
  for (const ch of stem) {
    const n = Buffer.byteLength(ch, 'utf8');
    if (bytes + n > budget) break;
    kept += ch;
    bytes += n;
  }
  kept = trimEnds(kept);
  if (kept.length === 0) kept = '_';
  return kept + suffix;
}

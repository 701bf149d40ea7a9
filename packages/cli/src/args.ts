import { readFileSync } from 'node:fs';
import { type ParseArgsConfig, parseArgs } from 'node:util';
import { UsageError } from './errors.js';

/** The option table shape `node:util` parseArgs takes. */
export type OptionTable = NonNullable<ParseArgsConfig['options']>;

/** Parsed values: every option is a string, a boolean or a list of strings. */
export type ParsedValues = Record<string, string | boolean | (string | boolean)[] | undefined>;

/**
 * Parses argv against an option table, turning parseArgs' errors into {@link UsageError}s that name the command.
 */
export function parseCommandLine(
  command: string,
  argv: readonly string[],
  options: OptionTable,
): { values: ParsedValues; positionals: string[] } {
  try {
    const { values, positionals } = parseArgs({
      args: [...argv],
      options,
      allowPositionals: true,
      strict: true,
    });
    return { values: values as ParsedValues, positionals };
  } catch (error) {
    const message = error instanceof Error ? error.message.replace(/\.?$/, '') : String(error);
    throw new UsageError(`${command}: ${lowerFirst(message)} (see 'netdicom ${command} --help')`);
  }
}

function lowerFirst(s: string): string {
  return s.length > 0 ? s[0]!.toLowerCase() + s.slice(1) : s;
}

/** A remote application entity's address. */
export interface HostPort {
  readonly host: string;
  readonly port: number;
}

/**
 * Parses `HOST:PORT`, `[IPv6]:PORT` or a bare `HOST` (port `defaultPort`).
 */
export function parseHostPort(text: string, what: string, defaultPort?: number): HostPort {
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(text);
  let host: string | undefined;
  let portText: string | undefined;
  if (bracketed) {
    host = bracketed[1];
    portText = bracketed[2];
  } else {
    const colon = text.lastIndexOf(':');
    if (colon >= 0 && text.indexOf(':') === colon) {
      host = text.slice(0, colon);
      portText = text.slice(colon + 1);
    } else {
      host = text;
    }
  }
  if (!host) throw new UsageError(`${what}: '${text}' is not HOST:PORT`);
  if (portText === undefined) {
    if (defaultPort === undefined) throw new UsageError(`${what}: '${text}' has no port; write HOST:PORT`);
    return { host, port: defaultPort };
  }
  return { host, port: parsePort(portText, what) };
}

/** Parses a TCP port number 1–65535 (0 allowed when `allowZero`, meaning "any free port"). */
export function parsePort(text: string, what: string, allowZero = false): number {
  const port = Number(text);
  if (!/^\d+$/.test(text) || port > 65535 || (port === 0 && !allowZero)) {
    throw new UsageError(`${what}: '${text}' is not a TCP port (1-65535)`);
  }
  return port;
}

/** Parses a whole number within bounds. */
export function parseInteger(text: string, what: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < min || n > max) {
    throw new UsageError(`${what}: '${text}' must be a whole number from ${min} to ${max}`);
  }
  return n;
}

/** Parses seconds (fractions allowed) into milliseconds. */
export function parseSeconds(text: string, what: string): number {
  const s = Number(text);
  if (!/^\d+(\.\d+)?$/.test(text) || s <= 0) throw new UsageError(`${what}: '${text}' must be a number of seconds`);
  return Math.round(s * 1000);
}

/**
 * Parses a DIMSE response timeout in seconds (fractions allowed) into milliseconds; `0` means no limit, as DCMTK's
 * `--dimse-timeout` left off. At most 2 147 483 s (the longest timer Node.js arms).
 */
export function parseDimseTimeout(text: string, what: string): number {
  const s = Number(text);
  if (!/^\d+(\.\d+)?$/.test(text) || s > 2_147_483) {
    throw new UsageError(`${what}: '${text}' must be a number of seconds (0 waits without limit)`);
  }
  return s > 0 ? Math.max(1, Math.round(s * 1000)) : 0;
}

/**
 * Checks an AE title: 1–16 characters of the ISO 646 G0 set without backslash, not all spaces (PS3.5 Table 6.2-1).
 */
export function parseAeTitle(text: string, what: string): string {
  if (text.length < 1 || text.length > 16 || !/^[\x20-\x5b\x5d-\x7e]+$/.test(text) || text.trim() === '') {
    throw new UsageError(
      `${what}: '${text}' is not an AE title (1-16 printable ASCII characters, no backslash, not all spaces)`,
    );
  }
  return text.trim();
}

/** Reads a file given on the command line (TLS keys, certificates), with a usage error naming the flag. */
export function readOptionFile(path: string, flag: string): Buffer {
  try {
    return readFileSync(path);
  } catch (error) {
    const reason = error instanceof Error && 'code' in error ? String(error.code) : String(error);
    throw new UsageError(`${flag}: cannot read '${path}' (${reason})`);
  }
}

/** Options shared by the commands that open associations as a requestor (echo, send). */
export const requestorOptions = {
  aet: { type: 'string' },
  called: { type: 'string' },
  timeout: { type: 'string' },
  tls: { type: 'boolean' },
  'tls-ca': { type: 'string' },
  'tls-cert': { type: 'string' },
  'tls-key': { type: 'string' },
  'tls-insecure': { type: 'boolean' },
  username: { type: 'string' },
  password: { type: 'string' },
  jwt: { type: 'string' },
  'max-pdu': { type: 'string' },
} as const satisfies OptionTable;

/** Logging options every command takes. */
export const loggingOptions = {
  verbose: { type: 'boolean', short: 'v', multiple: true },
  'log-level': { type: 'string' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies OptionTable;

/** TLS settings a requestor uses, built from `--tls*` flags; `undefined` means plain TCP. */
export interface RequestorTls {
  readonly ca?: Buffer;
  readonly cert?: Buffer;
  readonly key?: Buffer;
  readonly rejectUnauthorized: boolean;
  readonly minVersion: 'TLSv1.2';
}

/** Builds TLS client options from the flags; any `--tls-*` flag implies `--tls`. */
export function requestorTls(values: ParsedValues): RequestorTls | undefined {
  const wanted = values.tls === true || ['tls-ca', 'tls-cert', 'tls-key', 'tls-insecure'].some((k) => k in values);
  if (!wanted) return undefined;
  if ((values['tls-cert'] === undefined) !== (values['tls-key'] === undefined)) {
    throw new UsageError('--tls-cert and --tls-key go together (a client certificate and its private key)');
  }
  return {
    ...(typeof values['tls-ca'] === 'string' ? { ca: readOptionFile(values['tls-ca'], '--tls-ca') } : {}),
    ...(typeof values['tls-cert'] === 'string' ? { cert: readOptionFile(values['tls-cert'], '--tls-cert') } : {}),
    ...(typeof values['tls-key'] === 'string' ? { key: readOptionFile(values['tls-key'], '--tls-key') } : {}),
    rejectUnauthorized: values['tls-insecure'] !== true,
    minVersion: 'TLSv1.2',
  };
}

/** A user identity for the A-ASSOCIATE-RQ, built from `--username/--password/--jwt`. */
export type CliUserIdentity =
  | { readonly type: 'username'; readonly username: string }
  | { readonly type: 'username-passcode'; readonly username: string; readonly passcode: string }
  | { readonly type: 'jwt'; readonly token: string };

/** Builds the user identity from the flags, or `undefined` when none was given. */
export function requestorIdentity(values: ParsedValues): CliUserIdentity | undefined {
  const username = typeof values.username === 'string' ? values.username : undefined;
  const password = typeof values.password === 'string' ? values.password : undefined;
  const jwt = typeof values.jwt === 'string' ? values.jwt : undefined;
  if (jwt !== undefined && (username !== undefined || password !== undefined)) {
    throw new UsageError('--jwt cannot be combined with --username/--password');
  }
  if (jwt !== undefined) return { type: 'jwt', token: jwt };
  if (password !== undefined && username === undefined) throw new UsageError('--password needs --username');
  if (username === undefined) return undefined;
  return password === undefined
    ? { type: 'username', username }
    : { type: 'username-passcode', username, passcode: password };
}

/** Returns a string option's value, or `fallback`. */
export function stringOption(values: ParsedValues, name: string, fallback: string): string;
export function stringOption(values: ParsedValues, name: string): string | undefined;
export function stringOption(values: ParsedValues, name: string, fallback?: string): string | undefined {
  const v = values[name];
  return typeof v === 'string' ? v : fallback;
}

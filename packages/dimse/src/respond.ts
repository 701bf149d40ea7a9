/**
 * Building response command sets from a request and a status (PS3.7 9.3 / 10.3: every response echoes the request's
 * Message ID in Message ID Being Responded To and may echo the affected SOP class and instance).
 */
import type { Readable } from 'node:stream';
import { type CommandElements, type CommandSet, CommandDataSetType, commandType } from './commands.js';
import { InvalidArgumentError } from './errors.js';
import type { DimseStatus } from './status.js';

/** What a handler answers: a status code, a described status, or a status with its conditional fields. */
export interface StatusResult {
  readonly status: number | DimseStatus;
  /** Error Comment (0000,0902), PS3.7 C.4: at most 64 characters of printable ASCII (longer is cut). */
  readonly errorComment?: string;
  /** Offending Element (0000,0901): tags of the elements at fault. */
  readonly offendingElement?: readonly number[];
  /** Error ID (0000,0903). */
  readonly errorId?: number;
}

/** A handler's answer: `undefined` (success), a status code, or a {@link StatusResult}. */
// biome-ignore lint/suspicious/noConfusingVoidType: handlers written as `() => {}` return void, meaning success.
export type HandlerResult = number | StatusResult | undefined | void;

/** Normalizes a handler's answer to a {@link StatusResult}; `undefined` means success (0x0000). */
export function toStatusResult(result: HandlerResult): StatusResult {
  if (result === undefined || result === null) return { status: 0 };
  const normalized: StatusResult = typeof result === 'number' ? { status: result } : result;
  if (typeof normalized !== 'object') {
    throw new InvalidArgumentError(`a handler answered ${typeof result}: expected a status or { status, ... }`);
  }
  const code = typeof normalized.status === 'number' ? normalized.status : normalized.status?.code;
  if (typeof code !== 'number' || !Number.isInteger(code) || code < 0 || code > 0xffff) {
    throw new InvalidArgumentError(`invalid status ${String(code)} from handler (not 0x0000-0xFFFF)`);
  }
  return normalized;
}

function statusCode(status: number | DimseStatus): number {
  return typeof status === 'number' ? status : status.code;
}

/** Cuts a text to what an LO element may hold: printable ASCII without backslash, 64 characters. */
export function sanitizeErrorComment(text: string): string {
  return text
    .replace(/[^\x20-\x5b\x5d-\x7e]/g, '?')
    .slice(0, 64)
    .trim();
}

const isUid = (v: unknown): v is string => typeof v === 'string' && /^[0-9.]{1,64}$/.test(v);

/**
 * The response to a request (PS3.7 9.3 / 10.3): command field with bit 15 set, Message ID Being Responded To, no data
 * set, the status and its conditional fields; Affected SOP Class/Instance UID echoed where the request had them.
 */
export function buildResponse(
  request: CommandSet,
  result: StatusResult,
  extra: Partial<CommandElements> = {},
): CommandSet {
  const response: Record<string, unknown> = {
    commandField: (request.commandField | 0x8000) & 0xffff,
    messageIdBeingRespondedTo: request.messageId ?? 0,
    commandDataSetType: CommandDataSetType.Absent,
    status: statusCode(result.status),
  };
  const sopClass = request.affectedSopClassUid ?? request.requestedSopClassUid;
  const sopInstance = request.affectedSopInstanceUid ?? request.requestedSopInstanceUid;
  const type = commandType(response['commandField'] as number);
  const allowed = new Set<string>(type === undefined ? [] : [...type.required, ...type.conditional, ...type.optional]);
  if (isUid(sopClass) && allowed.has('affectedSopClassUid')) response['affectedSopClassUid'] = sopClass;
  if (isUid(sopInstance) && allowed.has('affectedSopInstanceUid')) response['affectedSopInstanceUid'] = sopInstance;
  if (result.errorComment !== undefined && (allowed.has('errorComment') || type === undefined)) {
    const comment = sanitizeErrorComment(result.errorComment);
    if (comment !== '') response['errorComment'] = comment;
  }
  if (result.offendingElement !== undefined && result.offendingElement.length > 0 && allowed.has('offendingElement')) {
    response['offendingElement'] = [...result.offendingElement];
  }
  if (result.errorId !== undefined && allowed.has('errorId')) response['errorId'] = result.errorId;
  return { ...(response as unknown as CommandSet), ...extra };
}

/** Reads a data set stream to its end, dropping the bytes; resolves once it ended, errored or was destroyed. */
export function discardDataset(stream: Readable | undefined): Promise<void> {
  if (stream === undefined || stream.readableEnded || stream.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      stream.off('end', done);
      stream.off('close', done);
      stream.off('error', done);
      resolve();
    };
    stream.on('end', done);
    stream.on('close', done);
    stream.on('error', done);
    stream.resume();
  });
}

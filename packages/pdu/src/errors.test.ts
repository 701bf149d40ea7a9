import { describe, expect, it } from 'vitest';
import {
  InvalidPduFieldError,
  InvalidPduParameterValueError,
  InvalidPduReaderOptionsError,
  PduError,
  PduTooLargeError,
  TruncatedPduError,
  UnexpectedPduParameterError,
  UnrecognizedPduError,
  UnrecognizedPduParameterError,
} from './errors.js';

describe('error classes: stable codes and the A-ABORT reason of PS3.8 Table 9-26', () => {
  const cases = [
    [new UnrecognizedPduError('m'), 'ERR_NETDICOM_PDU_UNRECOGNIZED', 1, 'UnrecognizedPduError'],
    [
      new UnrecognizedPduParameterError('m'),
      'ERR_NETDICOM_PDU_UNRECOGNIZED_PARAMETER',
      4,
      'UnrecognizedPduParameterError',
    ],
    [new UnexpectedPduParameterError('m'), 'ERR_NETDICOM_PDU_UNEXPECTED_PARAMETER', 5, 'UnexpectedPduParameterError'],
    [
      new InvalidPduParameterValueError('m'),
      'ERR_NETDICOM_PDU_INVALID_PARAMETER_VALUE',
      6,
      'InvalidPduParameterValueError',
    ],
    [new PduTooLargeError('m', 10, 5), 'ERR_NETDICOM_PDU_TOO_LARGE', 6, 'PduTooLargeError'],
    [new TruncatedPduError('m'), 'ERR_NETDICOM_PDU_TRUNCATED', 6, 'TruncatedPduError'],
    [new InvalidPduFieldError('m'), 'ERR_NETDICOM_PDU_INVALID_FIELD', 0, 'InvalidPduFieldError'],
    [new InvalidPduReaderOptionsError('m'), 'ERR_NETDICOM_PDU_INVALID_OPTIONS', 0, 'InvalidPduReaderOptionsError'],
  ] as const;

  it.each(cases)('%s has code %s and abortReason %d', (error, code, abortReason, name) => {
    expect(error).toBeInstanceOf(PduError);
    expect(error).toBeInstanceOf(Error);
    expect(error.code).toBe(code);
    expect(error.abortReason).toBe(abortReason);
    expect(error.name).toBe(name);
    expect(error.message).toBe('m');
  });

  it('codes are unique', () => {
    expect(new Set(cases.map((c) => c[1])).size).toBe(cases.length);
  });

  it('forwards the cause and records where the problem was found', () => {
    const cause = new Error('inner');
    const error = new InvalidPduParameterValueError('outer', { cause, pduType: 1, offset: 80 });
    expect(error.cause).toBe(cause);
    expect(error.pduType).toBe(1);
    expect(error.offset).toBe(80);
    expect(new InvalidPduParameterValueError('no details')).not.toHaveProperty('cause');
  });

  it('PduTooLargeError carries the announced length and the limit', () => {
    const error = new PduTooLargeError('too large', 0xffffffff, 16384, { pduType: 4, offset: 2 });
    expect(error.length).toBe(0xffffffff);
    expect(error.limit).toBe(16384);
    expect(error.pduType).toBe(4);
  });
});

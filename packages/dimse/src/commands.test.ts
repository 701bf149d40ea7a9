import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type CommandSet,
  CommandDataSetType,
  CommandField,
  commandElementByTag,
  commandName,
  commandType,
  commandTypes,
  decodeCommandSet,
  encodeCommandSet,
  formatTag,
  hasDataSet,
} from './commands.js';
import { InvalidCommandSetError } from './errors.js';
import {
  DCMTK_C_ECHO_RQ,
  DCMTK_C_ECHO_RSP,
  DCMTK_C_STORE_RQ,
  DCMTK_C_STORE_RSP,
} from './testing/dcmtk-command-sets.js';
import { rawCommandSet } from './testing/raw-command-set.js';

const hex = (s: string) => new Uint8Array(Buffer.from(s, 'hex'));

function expectProblem(fn: () => unknown, problem: string): InvalidCommandSetError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidCommandSetError);
    const e = error as InvalidCommandSetError;
    expect(e.code).toBe('ERR_NETDICOM_DIMSE_INVALID_COMMAND_SET');
    expect(e.problem).toBe(problem);
    return e;
  }
  throw new Error(`expected InvalidCommandSetError ${problem}`);
}

describe('command table', () => {
  it('covers every DIMSE-C and DIMSE-N command field exactly once', () => {
    const fields = Object.values(CommandField);
    expect(commandTypes.map((t) => t.commandField).sort()).toEqual([...fields].sort());
    for (const t of commandTypes) {
      expect(CommandField[t.name]).toBe(t.commandField);
      expect(t.required).toContain('commandField');
      expect(t.required).toContain('commandDataSetType');
      expect(t.section).toMatch(/^PS3\.7 (9|10)\.3\.\d\.\d$/);
      expect(t.type).toBe(t.commandField & 0x8000 ? 'response' : 'request');
      if (t.type === 'response') {
        expect(t.required).toEqual(['commandField', 'messageIdBeingRespondedTo', 'commandDataSetType', 'status']);
        expect(commandType(t.commandField & 0x7fff)?.service).toBe(t.service);
      }
    }
  });

  it('names command fields and tags', () => {
    expect(commandName(0x0001)).toBe('C-STORE-RQ');
    expect(commandName(0x8030)).toBe('C-ECHO-RSP');
    expect(commandName(0x1234)).toBe('0x1234');
    expect(formatTag(0x00100020)).toBe('(0010,0020)');
    expect(commandElementByTag(0x00000902)?.keyword).toBe('ErrorComment');
    expect(commandElementByTag(0x00000002)?.vr).toBe('UI');
  });
});

describe('DCMTK golden command sets', () => {
  const cases = [
    ['C-ECHO-RQ', DCMTK_C_ECHO_RQ],
    ['C-ECHO-RSP', DCMTK_C_ECHO_RSP],
    ['C-STORE-RQ', DCMTK_C_STORE_RQ],
    ['C-STORE-RSP', DCMTK_C_STORE_RSP],
  ] as const;
  for (const [name, bytes] of cases) {
    it(`${name} decodes and re-encodes byte for byte`, () => {
      const decoded = decodeCommandSet(hex(bytes));
      expect(commandName(decoded.commandField)).toBe(name);
      expect(Buffer.from(encodeCommandSet(decoded)).toString('hex')).toBe(bytes);
      // Also identical when rebuilt from the typed values alone (no preserved bytes).
      const { preserved: _p, ...plain } = decoded;
      expect(Buffer.from(encodeCommandSet(plain)).toString('hex')).toBe(bytes);
    });
  }

  it('reads the values DCMTK sent', () => {
    expect(decodeCommandSet(hex(DCMTK_C_ECHO_RQ))).toMatchObject({
      commandField: 0x0030,
      messageId: 1,
      affectedSopClassUid: '1.2.840.10008.1.1',
      commandDataSetType: 0x0101,
    });
    const store = decodeCommandSet(hex(DCMTK_C_STORE_RQ));
    expect(store).toMatchObject({
      commandField: 0x0001,
      messageId: 1,
      priority: 0,
      affectedSopClassUid: '1.2.840.10008.5.1.4.1.1.2',
      affectedSopInstanceUid: '1.2.826.0.1.3680043.2.1125.1.1',
    });
    expect(hasDataSet(store)).toBe(true);
    expect(decodeCommandSet(hex(DCMTK_C_STORE_RSP))).toMatchObject({ status: 0, messageIdBeingRespondedTo: 1 });
  });
});

describe('encodeCommandSet', () => {
  it('computes the group length and pads UIDs with NUL, strings with space', () => {
    const bytes = encodeCommandSet({
      commandField: CommandField['C-STORE-RSP'],
      messageIdBeingRespondedTo: 7,
      commandDataSetType: CommandDataSetType.Absent,
      status: 0xc000,
      affectedSopInstanceUid: '1.2.3',
      errorComment: 'odd',
      offendingElement: [0x00100020, 0x00080018],
    });
    const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    expect(view.getUint32(8, true)).toBe(bytes.length - 12);
    const text = Buffer.from(bytes).toString('latin1');
    expect(text).toContain('1.2.3\0');
    expect(text).toContain('odd ');
    const back = decodeCommandSet(bytes);
    expect(back.offendingElement).toEqual([0x00100020, 0x00080018]);
    expect(back.errorComment).toBe('odd');
  });

  it('rejects values that do not fit their VR', () => {
    const base = {
      commandField: CommandField['C-ECHO-RQ'],
      messageId: 1,
      affectedSopClassUid: '1.2.840.10008.1.1',
      commandDataSetType: CommandDataSetType.Absent,
    };
    expectProblem(() => encodeCommandSet({ ...base, messageId: 70000 }), 'bad-value');
    expectProblem(() => encodeCommandSet({ ...base, affectedSopClassUid: '1.2.x' }), 'bad-value');
    expectProblem(() => encodeCommandSet({ ...base, affectedSopClassUid: `1.${'2'.repeat(70)}` }), 'bad-value');
    expectProblem(() => encodeCommandSet({ ...base, errorComment: 'caf\u00e9' }), 'bad-value');
    expectProblem(() => encodeCommandSet({ ...base, moveDestination: 'A\\B' }), 'bad-value');
  });

  it('validates against the table unless told not to', () => {
    expectProblem(
      () => encodeCommandSet({ commandField: 0x0001, messageId: 1, commandDataSetType: 1 }),
      'missing-element',
    );
    expectProblem(
      () =>
        encodeCommandSet({
          commandField: CommandField['C-ECHO-RQ'],
          messageId: 1,
          affectedSopClassUid: '1.2',
          commandDataSetType: 1,
        }),
      'data-set-type',
    );
    expectProblem(
      () => encodeCommandSet({ commandField: 0x4444, commandDataSetType: 0x0101 }),
      'unknown-command-field',
    );
    const loose = encodeCommandSet({ commandField: 0x4444, commandDataSetType: 0x0101 }, { validate: false });
    expect(decodeCommandSet(loose, { validate: false }).commandField).toBe(0x4444);
  });

  it('keeps unknown and retired elements in tag order', () => {
    const command: CommandSet = {
      commandField: CommandField['C-ECHO-RQ'],
      messageId: 3,
      affectedSopClassUid: '1.2.840.10008.1.1',
      commandDataSetType: CommandDataSetType.Absent,
      otherElements: [
        { tag: 0x00000850, value: new Uint8Array([5, 0]) },
        { tag: 0x00009999, value: new Uint8Array([1, 2, 3, 4]) },
      ],
    };
    const bytes = encodeCommandSet(command);
    const back = decodeCommandSet(bytes);
    expect(back.otherElements?.map((e) => e.tag)).toEqual([0x00000850, 0x00009999]);
    expect(Buffer.from(encodeCommandSet(back)).equals(Buffer.from(bytes))).toBe(true);
    expectProblem(
      () => encodeCommandSet({ ...command, otherElements: [{ tag: 0x00000110, value: new Uint8Array(2) }] }),
      'duplicate-element',
    );
    expectProblem(
      () => encodeCommandSet({ ...command, otherElements: [{ tag: 0x00080018, value: new Uint8Array(2) }] }),
      'not-command-group',
    );
  });
});

describe('decodeCommandSet rejects malformed command sets', () => {
  const echo = [
    { tag: 0x00000002, value: '1.2.840.10008.1.1\0' },
    { tag: 0x00000100, us: 0x0030 },
    { tag: 0x00000110, us: 9 },
    { tag: 0x00000800, us: 0x0101 },
  ];

  it('accepts the well-formed reference', () => {
    expect(decodeCommandSet(rawCommandSet(echo)).messageId).toBe(9);
  });

  it('a lying group length (too long, too short, missing, not first)', () => {
    expectProblem(() => decodeCommandSet(rawCommandSet(echo, { groupLengthDelta: 2 })), 'group-length');
    expectProblem(() => decodeCommandSet(rawCommandSet(echo, { groupLengthDelta: -8 })), 'group-length');
    expectProblem(() => decodeCommandSet(rawCommandSet(echo, { omitGroupLength: true })), 'group-length');
  });

  it('truncated input at every length', () => {
    const full = rawCommandSet(echo);
    for (let n = 1; n < full.length; n++) {
      expect(() => decodeCommandSet(full.subarray(0, n))).toThrow(InvalidCommandSetError);
    }
    expect(() => decodeCommandSet(new Uint8Array(0))).toThrow(InvalidCommandSetError);
  });

  it('an element outside group 0000, out of order, or twice', () => {
    expectProblem(
      () => decodeCommandSet(rawCommandSet([...echo, { tag: 0x00080018, value: '1\0' }])),
      'not-command-group',
    );
    expectProblem(() => decodeCommandSet(rawCommandSet([echo[1]!, echo[0]!, echo[2]!, echo[3]!])), 'tag-order');
    expectProblem(
      () => decodeCommandSet(rawCommandSet([echo[0]!, echo[1]!, echo[1]!, echo[2]!, echo[3]!])),
      'duplicate-element',
    );
  });

  it('a bad value length, carrying what could be salvaged', () => {
    const e = expectProblem(
      () => decodeCommandSet(rawCommandSet([echo[0]!, echo[1]!, echo[2]!, { tag: 0x00000800, value: '\x01\x01\0\0' }])),
      'bad-value-length',
    );
    expect(e.tag).toBe(0x00000800);
    expect(e.commandField).toBe(0x0030);
    expect(e.messageId).toBe(9);
    expectProblem(
      () => decodeCommandSet(rawCommandSet([...echo, { tag: 0x00000901, value: 'abcdef' }])),
      'bad-value-length',
    );
  });

  it('an unknown command field or a missing mandatory element', () => {
    const e = expectProblem(
      () => decodeCommandSet(rawCommandSet([echo[0]!, { tag: 0x00000100, us: 0x0031 }, echo[2]!, echo[3]!])),
      'unknown-command-field',
    );
    expect(e.messageId).toBe(9);
    const m = expectProblem(() => decodeCommandSet(rawCommandSet([echo[1]!, echo[2]!, echo[3]!])), 'missing-element');
    expect(m.tag).toBe(0x00000002);
    expectProblem(() => decodeCommandSet(rawCommandSet([echo[0]!, echo[2]!, echo[3]!])), 'missing-element');
    expectProblem(() => decodeCommandSet(rawCommandSet([echo[0]!, echo[1]!, echo[2]!])), 'missing-element');
  });

  it('a UID that is not one', () => {
    expectProblem(
      () => decodeCommandSet(rawCommandSet([{ tag: 0x00000002, value: '1.2.a\0' }, ...echo.slice(1)])),
      'bad-value',
    );
  });

  it('tolerates odd-length UIDs and space padding, and re-encodes them as received', () => {
    const odd = rawCommandSet([{ tag: 0x00000002, value: '1.2.840.10008.1.1' }, ...echo.slice(1)]);
    const decoded = decodeCommandSet(odd);
    expect(decoded.affectedSopClassUid).toBe('1.2.840.10008.1.1');
    expect(Buffer.from(encodeCommandSet(decoded)).equals(Buffer.from(odd))).toBe(true);
    const spaced = rawCommandSet([{ tag: 0x00000002, value: '1.2.840.10008.1.1 ' }, ...echo.slice(1)]);
    expect(Buffer.from(encodeCommandSet(decodeCommandSet(spaced))).equals(Buffer.from(spaced))).toBe(true);
    // A changed value is encoded afresh with standard padding.
    const changed = encodeCommandSet({ ...decodeCommandSet(spaced), affectedSopClassUid: '1.2.3' });
    expect(Buffer.from(changed).toString('latin1')).toContain('1.2.3\0');
  });

  it('survives arbitrary bytes: either a command set or an InvalidCommandSetError', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        try {
          decodeCommandSet(bytes);
        } catch (error) {
          return error instanceof InvalidCommandSetError;
        }
        return true;
      }),
    );
  });

  it('survives every single-byte corruption of a golden command set', () => {
    const golden = hex(DCMTK_C_STORE_RQ);
    for (let i = 0; i < golden.length; i++) {
      for (const delta of [1, 0x80]) {
        const copy = golden.slice();
        copy[i] = (copy[i]! + delta) & 0xff;
        try {
          const decoded = decodeCommandSet(copy);
          // Whatever decoded re-encodes to the same bytes.
          expect(Buffer.from(encodeCommandSet(decoded)).equals(Buffer.from(copy))).toBe(true);
        } catch (error) {
          expect(error).toBeInstanceOf(InvalidCommandSetError);
        }
      }
    }
  });
});

describe('round trips (property)', () => {
  const uid = fc
    .array(fc.integer({ min: 0, max: 99999 }), { minLength: 1, maxLength: 8 })
    .map((parts) => parts.join('.'))
    .filter((s) => s.length <= 64);
  const us = fc.integer({ min: 0, max: 0xffff });
  const ae = fc.stringMatching(/^[A-Z0-9_]{1,16}$/);
  const lo = fc.stringMatching(/^[A-Za-z0-9 .:_-]{0,64}$/).map((s) => s.trim());
  const tags = fc.array(fc.integer({ min: 0, max: 0xffffffff }), { minLength: 1, maxLength: 4 });

  const arbitraryCommand: fc.Arbitrary<CommandSet> = fc.constantFrom(...commandTypes).chain((type) =>
    fc
      .record(
        {
          affectedSopClassUid: uid,
          requestedSopClassUid: uid,
          messageId: us,
          messageIdBeingRespondedTo: us,
          moveDestination: ae,
          priority: fc.constantFrom(0, 1, 2),
          status: us,
          offendingElement: tags,
          errorComment: lo,
          errorId: us,
          affectedSopInstanceUid: uid,
          requestedSopInstanceUid: uid,
          eventTypeId: us,
          attributeIdentifierList: tags,
          actionTypeId: us,
          numberOfRemainingSuboperations: us,
          numberOfCompletedSuboperations: us,
          numberOfFailedSuboperations: us,
          numberOfWarningSuboperations: us,
          moveOriginatorApplicationEntityTitle: ae,
          moveOriginatorMessageId: us,
        },
        { requiredKeys: [] },
      )
      .map((optional) => {
        const allowed = new Set<string>([...type.required, ...type.conditional, ...type.optional]);
        const picked: Record<string, unknown> = {};
        for (const [k, v] of Object.entries(optional)) if (allowed.has(k)) picked[k] = v;
        for (const k of type.required) {
          if (picked[k] === undefined && k !== 'commandField' && k !== 'commandDataSetType') {
            picked[k] = k.endsWith('Uid') ? '1.2.3' : k === 'moveDestination' ? 'DEST' : 1;
          }
        }
        const dataSetType =
          type.dataSet === 'none' ? CommandDataSetType.Absent : type.dataSet === 'required' ? 1 : 0x0101;
        return { ...picked, commandField: type.commandField, commandDataSetType: dataSetType } as CommandSet;
      }),
  );

  it('decode(encode(x)) = x and encode(decode(b)) = b', () => {
    fc.assert(
      fc.property(arbitraryCommand, (command) => {
        const bytes = encodeCommandSet(command);
        const decoded = decodeCommandSet(bytes);
        const { preserved: _p, ...plain } = decoded;
        expect(plain).toEqual(command);
        expect(Buffer.from(encodeCommandSet(decoded)).equals(Buffer.from(bytes))).toBe(true);
      }),
      { numRuns: 500 },
    );
  });
});

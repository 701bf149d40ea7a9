/**
 * Re-records the golden PDU fixtures of `src/testing/fixtures/` from real DCMTK tools, through the loopback recording
 * proxy. Run from the package directory: `npx tsx src/testing/record-golden.ts`. Needs DCMTK (`storescp`, `storescu`,
 * `echoscu`, `dump2dcm`) on the PATH. Every tool runs with `TCP_NODELAY=1`, on 127.0.0.1, on ports found free at run
 * time. Writes `<scenario>.scu.bin` (bytes the association requestor sent), `<scenario>.scp.bin` (bytes the acceptor
 * sent), the DICOM files that were sent, and `README.md` describing each recording.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runTool, startScp } from './dcmtk.js';
import { startRecordingProxy } from './recording-proxy.js';

const fixtures = join(dirname(fileURLToPath(import.meta.url)), 'fixtures');

/** Small DICOM files, made with dump2dcm from these dumps (UIDs are fixed 2.25 UUID-derived values). */
function dump(sopClass: string, sopInstance: string, modality: string, patient: string, rows: number): string {
  const pixels = Array.from({ length: rows * rows }, (_, i) => (i & 0xfff).toString(16).padStart(4, '0')).join('\\');
  return [
    '# Dicom-File-Format',
    '# Dicom-Meta-Information-Header',
    '(0002,0001) OB 00\\01',
    `(0002,0002) UI =${sopClass}`,
    `(0002,0003) UI [${sopInstance}]`,
    '(0002,0010) UI =LittleEndianExplicit',
    '# Dicom-Data-Set',
    `(0008,0016) UI =${sopClass}`,
    `(0008,0018) UI [${sopInstance}]`,
    `(0008,0060) CS [${modality}]`,
    `(0010,0010) PN [${patient}]`,
    '(0010,0020) LO [PDU-GOLDEN]',
    '(0020,000d) UI [2.25.160839604843174419620151207442463734577]',
    '(0020,000e) UI [2.25.212962218386735066435069466120392012289]',
    '(0028,0002) US 1',
    '(0028,0004) CS [MONOCHROME2]',
    `(0028,0010) US ${rows}`,
    `(0028,0011) US ${rows}`,
    '(0028,0100) US 16',
    '(0028,0101) US 12',
    '(0028,0102) US 11',
    '(0028,0103) US 0',
    `(7fe0,0010) OW ${pixels}`,
    '',
  ].join('\n');
}

const files = [
  {
    name: 'ct-2x2.dcm',
    text: dump('CTImageStorage', '2.25.330960339473928390171326426946329284146', 'CT', 'Golden^CT', 2),
  },
  {
    name: 'mr-4x4.dcm',
    text: dump('MRImageStorage', '2.25.65487426107003390530236417658298429591', 'MR', 'Golden^MR', 4),
  },
  {
    name: 'sc-64x64.dcm',
    text: dump('SecondaryCaptureImageStorage', '2.25.27985404153466010924938186418934750402', 'OT', 'Golden^SC', 64),
  },
] as const;

/**
 * Association negotiation profiles for storescu (`GoldenScu`) and storescp (`GoldenScp`): SCP/SCU Role Selection and
 * SOP Class Extended Negotiation, and two presentation contexts the acceptor must reject (an abstract syntax it does
 * not support, and CT offered with JPEG Baseline only).
 */
const profileConfig = `
[[TransferSyntaxes]]
[Uncompressed]
TransferSyntax1 = LittleEndianExplicit
TransferSyntax2 = LittleEndianImplicit

[JpegOnly]
TransferSyntax1 = JPEGBaseline

[[PresentationContexts]]
[ScuContexts]
PresentationContext1 = CTImageStorage\\Uncompressed
PresentationContext2 = MRImageStorage\\Uncompressed
PresentationContext3 = VerificationSOPClass\\Uncompressed
PresentationContext4 = UltrasoundImageStorage\\Uncompressed
PresentationContext5 = CTImageStorage\\JpegOnly

[ScpContexts]
PresentationContext1 = CTImageStorage\\Uncompressed
PresentationContext2 = MRImageStorage\\Uncompressed
PresentationContext3 = VerificationSOPClass\\Uncompressed

[[SCPSCURoleSelection]]
[Roles]
Role1 = CTImageStorage\\BOTH
Role2 = MRImageStorage\\SCU

[[ExtendedNegotiation]]
[ExtNeg]
ExtendedNegotiation1 = CTImageStorage\\020003000000
ExtendedNegotiation2 = MRImageStorage\\01

[[Profiles]]
[GoldenScu]
PresentationContexts = ScuContexts
SCPSCURoleSelection = Roles
ExtendedNegotiation = ExtNeg

[GoldenScp]
PresentationContexts = ScpContexts
SCPSCURoleSelection = Roles
ExtendedNegotiation = ExtNeg
`;

interface Scenario {
  readonly name: string;
  readonly what: string;
  readonly scp: readonly string[];
  readonly scu: (port: number, dir: string) => readonly [string, ...string[]];
}

const scenarios: readonly Scenario[] = [
  {
    name: 'echo',
    what: 'C-ECHO: A-ASSOCIATE-RQ/AC, P-DATA-TF with the C-ECHO-RQ/RSP command sets, A-RELEASE-RQ/RP.',
    scp: ['-aet', 'GOLDEN-SCP'],
    scu: (port) => ['echoscu', '-aet', 'GOLDEN-ECHO', '-aec', 'GOLDEN-SCP', '127.0.0.1', String(port)],
  },
  {
    name: 'store',
    what:
      'C-STORE of three files with storescu defaults: an A-ASSOCIATE-RQ proposing every storage SOP class it knows ' +
      '(many presentation contexts), an A-ASSOCIATE-AC accepting a few and rejecting the others, ' +
      'command and data set PDVs, C-STORE-RSPs, release.',
    scp: ['-aet', 'GOLDEN-SCP', '--ignore'],
    scu: (port, dir) => [
      'storescu',
      '-aet',
      'GOLDEN-STORE',
      '-aec',
      'GOLDEN-SCP',
      '127.0.0.1',
      String(port),
      ...files.map((f) => join(dir, f.name)),
    ],
  },
  {
    name: 'store-user-identity',
    what:
      'C-STORE of one file proposing only the required presentation contexts, with a User Identity sub-item ' +
      '(type 2, username and passcode) in the A-ASSOCIATE-RQ.',
    scp: ['-aet', 'GOLDEN-SCP', '--ignore'],
    scu: (port, dir) => [
      'storescu',
      '-R',
      '-usr',
      'NAME',
      '-pwd',
      'PASS',
      '-aet',
      'GOLDEN-USER',
      '-aec',
      'GOLDEN-SCP',
      '127.0.0.1',
      String(port),
      join(dir, 'ct-2x2.dcm'),
    ],
  },
  {
    name: 'store-small-pdu',
    what:
      'C-STORE of the 64x64 file with a maximum PDU length of 4096 on both sides: the data set is split into ' +
      'several P-DATA-TF PDUs; both sides announce Maximum Length Received 4096.',
    scp: ['-aet', 'GOLDEN-SCP', '--ignore', '-pdu', '4096'],
    scu: (port, dir) => [
      'storescu',
      '-R',
      '-pdu',
      '4096',
      '-aet',
      'GOLDEN-SMALL',
      '-aec',
      'GOLDEN-SCP',
      '127.0.0.1',
      String(port),
      join(dir, 'sc-64x64.dcm'),
    ],
  },
  {
    name: 'store-profile',
    what:
      'C-STORE with association negotiation profiles (-xf) on both sides: SCP/SCU Role Selection and SOP Class ' +
      'Extended Negotiation sub-items in the A-ASSOCIATE-RQ and -AC, a User Identity sub-item of type 1 ' +
      '(username only), and two presentation contexts the acceptor rejects (abstract syntax not supported, ' +
      'transfer syntaxes not supported).',
    scp: ['-aet', 'GOLDEN-SCP', '--ignore', '-xf', 'profile.cfg', 'GoldenScp'],
    scu: (port, dir) => [
      'storescu',
      '-xf',
      join(dir, 'profile.cfg'),
      'GoldenScu',
      '-usr',
      'ALICE',
      '-aet',
      'GOLDEN-PROFILE',
      '-aec',
      'GOLDEN-SCP',
      '127.0.0.1',
      String(port),
      join(dir, 'ct-2x2.dcm'),
      join(dir, 'mr-4x4.dcm'),
    ],
  },
  {
    name: 'refuse',
    what: 'storescp --refuse: the A-ASSOCIATE-RQ of echoscu answered by an A-ASSOCIATE-RJ.',
    scp: ['-aet', 'GOLDEN-SCP', '--refuse'],
    scu: (port) => ['echoscu', '-aet', 'GOLDEN-ECHO', '-aec', 'GOLDEN-SCP', '127.0.0.1', String(port)],
  },
  {
    name: 'echo-abort',
    what: 'echoscu --abort: association, C-ECHO, then an A-ABORT from the requestor instead of a release.',
    scp: ['-aet', 'GOLDEN-SCP'],
    scu: (port) => ['echoscu', '--abort', '-aet', 'GOLDEN-ECHO', '-aec', 'GOLDEN-SCP', '127.0.0.1', String(port)],
  },
  {
    name: 'store-scp-abort',
    what: 'storescp --abort-after: the acceptor sends an A-ABORT after receiving the C-STORE-RQ.',
    scp: ['-aet', 'GOLDEN-SCP', '--ignore', '--abort-after'],
    scu: (port, dir) => [
      'storescu',
      '-R',
      '-aet',
      'GOLDEN-STORE',
      '-aec',
      'GOLDEN-SCP',
      '127.0.0.1',
      String(port),
      join(dir, 'ct-2x2.dcm'),
    ],
  },
];

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'netdicom-golden-'));
  try {
    for (const f of files) {
      await writeFile(join(dir, `${f.name}.txt`), f.text);
      const r = await runTool('dump2dcm', ['+l', '100000', join(dir, `${f.name}.txt`), join(dir, f.name)]);
      if (r.code !== 0) throw new Error(`dump2dcm ${f.name} failed: ${r.stderr}`);
      await writeFile(join(fixtures, f.name), await readFile(join(dir, f.name)));
    }
    await writeFile(join(dir, 'profile.cfg'), profileConfig);
    await writeFile(join(fixtures, 'profile.cfg'), profileConfig);
    const version = (await runTool('storescp', ['--version'])).stdout.split('\n')[0]?.trim() ?? 'unknown';

    const lines: string[] = [];
    for (const s of scenarios) {
      const scp = await startScp('storescp', s.scp, { cwd: dir });
      const proxy = await startRecordingProxy({ targetPort: scp.port });
      try {
        const [cmd, ...args] = s.scu(proxy.port, dir);
        const result = await runTool(cmd, args, { cwd: dir });
        const rec = await proxy.nextConnection();
        await writeFile(join(fixtures, `${s.name}.scu.bin`), rec.clientToServer);
        await writeFile(join(fixtures, `${s.name}.scp.bin`), rec.serverToClient);
        const shown = [cmd, ...args].map((a) => (a.startsWith(dir) ? a.slice(dir.length + 1) : a));
        const portShown = shown.map((a) => (a === String(proxy.port) ? '<port>' : a));
        lines.push(
          `## ${s.name}`,
          '',
          s.what,
          '',
          `- \`${s.name}.scu.bin\` (${rec.clientToServer.length} bytes): sent by \`TCP_NODELAY=1 ${portShown.join(' ')}\` (exit code ${result.code})`,
          `- \`${s.name}.scp.bin\` (${rec.serverToClient.length} bytes): sent by \`TCP_NODELAY=1 storescp ${s.scp.join(' ')} <port>\``,
          '',
        );
        console.log(`${s.name}: scu ${rec.clientToServer.length} bytes, scp ${rec.serverToClient.length} bytes`);
      } finally {
        await proxy.close();
        await scp.stop();
      }
    }

    const readme = [
      '# Golden PDU fixtures',
      '',
      `Recorded from real DCMTK (${version}) on loopback by \`src/testing/record-golden.ts\` through the recording`,
      'proxy of `src/testing/recording-proxy.ts`: each `.scu.bin` holds every byte the association requestor sent,',
      'each `.scp.bin` every byte the acceptor sent, in order, exactly as they crossed the TCP connection.',
      'Re-record with `npx tsx src/testing/record-golden.ts` from `packages/pdu` (the tests then check the new bytes).',
      '',
      `The DICOM files that were sent (\`${files.map((f) => f.name).join('`, `')}\`) were made with \`dump2dcm\` from`,
      'the dumps written by the same script; `profile.cfg` is the association negotiation profile used by the',
      '`store-profile` recording.',
      '',
      ...lines,
    ].join('\n');
    await writeFile(join(fixtures, 'README.md'), readme);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

await main();

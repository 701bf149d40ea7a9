import type { ScenarioResult } from './run.js';

/** The machine and run a report describes. */
export interface MachineInfo {
  readonly date: string;
  readonly cpus: string;
  readonly memoryGb: number;
  readonly node: string;
  readonly runs: number;
}

/** The DCMTK -> DCMTK result for the same data set: every ratio is against it. */
function baseline(results: readonly ScenarioResult[], data: string): ScenarioResult | undefined {
  return results.find(
    (r) => r.scenario.data === data && r.scenario.sender === 'dcmtk' && r.scenario.receiver === 'dcmtk',
  );
}

/** Ratio of a result's throughput to DCMTK's on the same data (files/s for slices, MB/s for the large object). */
export function ratioToDcmtk(results: readonly ScenarioResult[], r: ScenarioResult): number | undefined {
  const base = baseline(results, r.scenario.data);
  if (!base) return undefined;
  return r.scenario.data === 'slices'
    ? r.filesPerSecond / base.filesPerSecond
    : r.megabytesPerSecond / base.megabytesPerSecond;
}

const targets = [
  'slices: netdicom -> netdicom at least 1.25x DCMTK files/s',
  'large object: netdicom -> netdicom at least 1.0x DCMTK MB/s',
  'peak RSS: our sender under 100 MB, our receiver under 150 MB',
];

/** Renders the results as the Markdown table the README shows. */
export function renderMarkdown(results: readonly ScenarioResult[], machine: MachineInfo): string {
  const rows = results.map((r) => {
    const ratio = ratioToDcmtk(results, r);
    return `| ${r.scenario.name} | ${r.files} | ${r.seconds.toFixed(3)} | ${r.filesPerSecond.toFixed(0)} | ${r.megabytesPerSecond.toFixed(0)} | ${ratio === undefined ? '–' : `${ratio.toFixed(2)}x`} | ${r.senderRssMb.toFixed(0)} | ${r.receiverRssMb.toFixed(0)} |`;
  });
  return [
    `Measured ${machine.date.slice(0, 10)} on ${machine.cpus}, ${machine.memoryGb} GiB, Node.js ${machine.node}; median of ${machine.runs} runs;`,
    'loopback, both sides writing to disk. netdicom fsyncs every object before answering Success; DCMTK storescp never fsyncs',
    '(the "no fsync" rows run our receiver the same way, with `--no-fsync`, to show the protocol cost alone).',
    'Times are wall-clock from starting the sender process to its exit, process start-up included.',
    'The "Node.js floor" rows move the same files over plain TCP into fsynced files with no DICOM at all (bench/floor/):',
    'what any Node.js sender and receiver pay on this machine before a single DICOM byte is parsed.',
    '',
    '| scenario | objects | seconds | objects/s | MB/s | vs DCMTK | sender peak RSS (MB) | receiver peak RSS (MB) |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...rows,
    '',
    `Targets: ${targets.join('; ')}.`,
    '',
  ].join('\n');
}

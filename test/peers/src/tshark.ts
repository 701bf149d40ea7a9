/**
 * Captures of loopback DICOM traffic with tshark, decoded by Wireshark's DICOM dissector: an independent check of the
 * PDUs (PS3.8 section 9.3) and DIMSE messages (PS3.7) a peer puts on the wire. Capturing needs root or the capture
 * capability (CI and these machines run as root).
 *
 * @packageDocumentation
 */
import { mkdtemp, stat } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { PeerStartError, ToolFailedError } from './errors.js';
import { freePort, LOOPBACK } from './ports.js';
import { runTool, spawnTool } from './process.js';

/** Options of {@link startCapture}. */
export interface CaptureOptions {
  /** Capture TCP traffic to and from these ports only. */
  readonly ports: readonly number[];
  /** Interface; default `lo` (loopback: the only place test traffic goes). */
  readonly interface?: string;
  /** Where to write the capture (pcapng); default `capture.pcapng` in a new temporary directory, yours to remove. */
  readonly path?: string;
  /** How long to wait for tshark to start capturing; default 15 000 ms. */
  readonly startTimeoutMs?: number;
}

/** A running capture. */
export interface RunningCapture {
  readonly path: string;
  /** Waits `settleMs` (default 200) for the last packets, stops tshark and resolves with the capture's path. */
  stop(settleMs?: number): Promise<string>;
}

/** Starts `tshark` capturing the given ports on loopback; resolves once it is capturing. */
export async function startCapture(options: CaptureOptions): Promise<RunningCapture> {
  if (options.ports.length === 0) throw new PeerStartError('tshark', 'no port to capture', '');
  const path = options.path ?? join(await mkdtemp(join(tmpdir(), 'netdicom-capture-')), 'capture.pcapng');
  // tshark says "Capturing on" a moment before packets really reach the file. A sentinel port nobody listens on is
  // captured too: we knock on it (each attempt is a SYN and a RST) until the file grows, and only then return.
  const sentinel = await freePort();
  const filter = [...options.ports, sentinel].map((port) => `tcp port ${port}`).join(' or ');
  const spawned = await spawnTool('tshark', ['-i', options.interface ?? 'lo', '-f', filter, '-w', path]);
  const deadline = Date.now() + (options.startTimeoutMs ?? 15_000);
  while (!/Capturing on/.test(spawned.stderr())) {
    if (spawned.hasExited()) throw new PeerStartError('tshark', 'exited before capturing', spawned.output());
    if (Date.now() > deadline) {
      await spawned.stop();
      throw new PeerStartError('tshark', 'did not start capturing in time', spawned.output());
    }
    await delay(20);
  }
  const emptySize = await fileSize(path);
  while ((await fileSize(path)) <= emptySize) {
    if (spawned.hasExited()) throw new PeerStartError('tshark', 'exited before capturing', spawned.output());
    if (Date.now() > deadline) {
      await spawned.stop();
      throw new PeerStartError('tshark', 'captured nothing of the sentinel connections in time', spawned.output());
    }
    await knock(sentinel);
    await delay(50);
  }
  let stopped: Promise<string> | undefined;
  return {
    path,
    stop: (settleMs = 200) => {
      stopped ??= (async () => {
        await delay(settleMs);
        // SIGINT makes tshark stop its capture child cleanly and flush the file; a kill is only the fallback.
        spawned.signal('SIGINT');
        const exited = await Promise.race([spawned.exited.then(() => true), delay(5000).then(() => false)]);
        if (!exited) await spawned.stop(2000);
        return path;
      })();
      return stopped;
    },
  };
}

async function fileSize(path: string): Promise<number> {
  try {
    return (await stat(path)).size;
  } catch {
    return 0;
  }
}

/** One connection attempt to a closed loopback port: refused at once, but seen by the capture. */
function knock(port: number): Promise<void> {
  return new Promise((resolve) => {
    const socket = connect(port, LOOPBACK);
    socket.once('error', () => resolve());
    socket.once('connect', () => {
      socket.destroy();
      resolve();
    });
  });
}

/** One line of tshark's expert information (`-z expert`). */
export interface ExpertInfo {
  readonly severity: 'error' | 'warning' | 'note' | 'chat' | 'comment';
  readonly count: number;
  readonly group: string;
  readonly protocol: string;
  readonly summary: string;
}

/** One DICOM frame of a capture, as tshark's Info column shows it. */
export interface DicomFrame {
  readonly number: number;
  readonly info: string;
}

/** What Wireshark's DICOM dissector made of a capture. */
export interface DicomCaptureDecode {
  /** Frames the DICOM dissector decoded, in order. */
  readonly frames: readonly DicomFrame[];
  /** All expert information (filter on `protocol === 'DICOM'` for the dissector's own findings). */
  readonly expert: readonly ExpertInfo[];
}

const SEVERITIES: Record<string, ExpertInfo['severity']> = {
  Errors: 'error',
  Warns: 'warning',
  Notes: 'note',
  Chats: 'chat',
  Comments: 'comment',
};

/**
 * Decodes a capture with tshark, treating traffic on `ports` as DICOM (`-d tcp.port==N,dicom`). Rejects with
 * `ToolFailedError` if tshark cannot read the file.
 */
export async function decodeDicomCapture(path: string, ports: readonly number[]): Promise<DicomCaptureDecode> {
  const decodeAs = ports.flatMap((port) => ['-d', `tcp.port==${port},dicom`]);
  const framesArgs = [
    '-r',
    path,
    ...decodeAs,
    '-Y',
    'dicom',
    '-T',
    'fields',
    '-e',
    'frame.number',
    '-e',
    '_ws.col.Info',
  ];
  const frames = await runTool('tshark', framesArgs, { timeoutMs: 120_000 });
  if (frames.code !== 0) {
    throw new ToolFailedError('tshark', framesArgs, frames.code, frames.signal, frames.stdout, frames.stderr);
  }
  const expertArgs = ['-r', path, ...decodeAs, '-q', '-z', 'expert'];
  const expert = await runTool('tshark', expertArgs, { timeoutMs: 120_000 });
  if (expert.code !== 0) {
    throw new ToolFailedError('tshark', expertArgs, expert.code, expert.signal, expert.stdout, expert.stderr);
  }
  return { frames: parseFrames(frames.stdout), expert: parseExpert(expert.stdout) };
}

function parseFrames(text: string): DicomFrame[] {
  return text
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      const [number = '', ...info] = line.split('\t');
      return { number: Number(number), info: info.join('\t') };
    });
}

/** Parses the text of `tshark -q -z expert`. */
export function parseExpert(text: string): ExpertInfo[] {
  const result: ExpertInfo[] = [];
  let severity: ExpertInfo['severity'] | undefined;
  for (const line of text.split('\n')) {
    const section = /^(Errors|Warns|Notes|Chats|Comments) \(\d+\)/.exec(line);
    if (section !== null) {
      severity = SEVERITIES[section[1]!];
      continue;
    }
    const row = /^\s+(\d+)\s+(\S+)\s+(\S+)\s+(.*\S)\s*$/.exec(line);
    if (severity !== undefined && row !== null) {
      result.push({ severity, count: Number(row[1]), group: row[2]!, protocol: row[3]!, summary: row[4]! });
    }
  }
  return result;
}

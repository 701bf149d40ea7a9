/**
 * Finding the processes of a running peer (Linux `/proc`), so a test can freeze one with SIGSTOP: a real peer that
 * accepted an association and then falls silent, as a hung PACS does. Synchronous on purpose: it is called from
 * `onFileSending`, before the request's first byte leaves.
 */
import { readdirSync, readFileSync } from 'node:fs';

/** One process as `/proc/PID/stat` describes it. */
export interface ProcessInfo {
  readonly pid: number;
  readonly ppid: number;
  /** The executable's name (`comm`, at most 15 characters). */
  readonly command: string;
  /** Start time in clock ticks after boot. */
  readonly startTime: number;
}

function readStat(pid: number): ProcessInfo | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'latin1');
  } catch {
    return undefined; // Gone meanwhile.
  }
  // "pid (comm) state ppid ..."; comm may itself hold spaces and parentheses.
  const open = text.indexOf('(');
  const close = text.lastIndexOf(')');
  const fields = text.slice(close + 2).split(' ');
  return {
    pid,
    ppid: Number(fields[1]),
    command: text.slice(open + 1, close),
    startTime: Number(fields[19]),
  };
}

/** Every process descending from `root` (not `root` itself), oldest first. */
export function descendants(root: number): ProcessInfo[] {
  const all: ProcessInfo[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const info = readStat(Number(name));
    if (info) all.push(info);
  }
  const found: ProcessInfo[] = [];
  const parents = new Set([root]);
  let grew = true;
  while (grew) {
    grew = false;
    for (const info of all) {
      if (parents.has(info.ppid) && !parents.has(info.pid)) {
        parents.add(info.pid);
        found.push(info);
        grew = true;
      }
    }
  }
  return found.sort((a, b) => a.startTime - b.startTime || a.pid - b.pid);
}

/**
 * The DCMTK `storescp` processes under a peer's guard process: `main` (the listener) and `children` (one per
 * association with `--fork`, oldest first).
 */
export function storescpProcesses(guardPid: number): { main: ProcessInfo; children: ProcessInfo[] } {
  const scps = descendants(guardPid).filter((info) => info.command === 'storescp');
  const main = scps.find((info) => !scps.some((other) => other.pid === info.ppid));
  if (!main) throw new Error(`no storescp process under ${guardPid}`);
  return { main, children: scps.filter((info) => info.ppid === main.pid) };
}

/** Sends a signal, ignoring a process already gone. */
export function signalProcess(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch {
    // ESRCH: already exited.
  }
}

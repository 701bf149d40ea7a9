import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import type { Logger } from './output.js';

interface PduLike {
  readonly kind?: string;
  readonly pdvs?: readonly { presentationContextId: number; isCommand: boolean; isLast: boolean; data: Uint8Array }[];
  readonly calledAeTitle?: string;
  readonly callingAeTitle?: string;
  readonly result?: number;
  readonly source?: number;
  readonly reason?: number;
}

/** One line describing a PDU for `-vv` output. */
export function summarizePdu(pdu: PduLike): string {
  switch (pdu.kind) {
    case 'P-DATA-TF':
      return `P-DATA-TF ${(pdu.pdvs ?? [])
        .map(
          (p) =>
            `[ctx ${p.presentationContextId} ${p.isCommand ? 'cmd' : 'data'}${p.isLast ? ' last' : ''} ${p.data.byteLength} B]`,
        )
        .join(' ')}`;
    case 'A-ASSOCIATE-RQ':
    case 'A-ASSOCIATE-AC':
      return `${pdu.kind} ${pdu.callingAeTitle ?? '?'} -> ${pdu.calledAeTitle ?? '?'}`;
    case 'A-ASSOCIATE-RJ':
    case 'A-ABORT':
      return `${pdu.kind} result ${pdu.result ?? '-'} source ${pdu.source ?? '-'} reason ${pdu.reason ?? '-'}`;
    default:
      return String(pdu.kind ?? 'unknown PDU');
  }
}

/**
 * Prints protocol detail from `@netdicom/association`'s diagnostics channels: state changes and association PDUs at
 * debug level, every PDU at trace level. Returns a function that unsubscribes.
 */
export function traceProtocol(log: Logger): () => void {
  if (!log.enabled('debug')) return () => {};
  const subscriptions: [string, (message: unknown) => void][] = [];
  const pduHandler = (direction: string) => (message: unknown) => {
    const pdu = (message as { pdu?: PduLike }).pdu ?? (message as PduLike);
    if (pdu.kind === 'P-DATA-TF' && !log.enabled('trace')) return;
    log.debug(`${direction} ${summarizePdu(pdu)}`);
  };
  subscriptions.push(['netdicom:pdu:sent', pduHandler('sent')]);
  subscriptions.push(['netdicom:pdu:received', pduHandler('received')]);
  subscriptions.push([
    'netdicom:association:state',
    (message) => {
      const m = message as { from?: string; to?: string; state?: string; event?: string };
      log.trace(`state ${m.from ?? '?'} -> ${m.to ?? m.state ?? '?'}${m.event ? ` on ${m.event}` : ''}`);
    },
  ]);
  for (const [name, fn] of subscriptions) subscribe(name, fn);
  return () => {
    for (const [name, fn] of subscriptions) unsubscribe(name, fn);
  };
}

/**
 * Our own `@netdicom/store-scp` StoreScp as a real peer over TCP on 127.0.0.1 (ephemeral port), for the behaviours
 * DCMTK's storescp cannot produce on demand: a status of our choosing per attempt of each instance (0xA7xx Out of
 * Resources, PS3.4 Table B.2-1), an abort in the middle of a transfer, a user identity check (PS3.7 D.3.3.7),
 * a barrier that holds stores until several associations are open. Every C-STORE it sees is recorded: how often each
 * SOP Instance UID arrived, when, on which association, what was answered, and the dataset bytes of the stores
 * answered Success (to compare with what was sent). Test code only.
 */
import type { Association } from '@netdicom/association';
import {
  type AssociationInfo,
  type StoreContext,
  StoreScp,
  type StoreScpOptions,
  type StoreStatusAnswer,
} from '@netdicom/store-scp';

/** One C-STORE the peer received. */
export interface ReceivedStore {
  readonly sopInstanceUid: string;
  readonly sopClassUid: string;
  readonly transferSyntax: string;
  /** 1 for the first C-STORE of this SOP Instance UID, 2 for the second, ... */
  readonly attempt: number;
  /** `performance.now()` when the C-STORE-RQ reached the handler. */
  readonly at: number;
  readonly association: Association;
  /** The status answered (undefined while the handler runs or when it threw). */
  status?: number;
  /** Every dataset byte received (read whole, whatever is answered). */
  dataset?: Buffer;
}

/** Decides the answer to one C-STORE; may wait, abort the association, or throw. */
export type ScriptedAnswer = (
  store: ReceivedStore,
  context: StoreContext,
) => Promise<StoreStatusAnswer | undefined> | StoreStatusAnswer | undefined;

/** A running scripted StoreScp. */
export interface ScriptedScp {
  readonly scp: StoreScp;
  readonly port: number;
  readonly addr: string;
  readonly aeTitle: string;
  /** Every C-STORE received, in arrival order. */
  readonly stores: ReceivedStore[];
  /** Associations the peer established (from `associations$`), in order. */
  readonly associations: AssociationInfo[];
  /** Associations that carried at least one C-STORE. */
  storeAssociations(): Set<Association>;
  /** The C-STOREs of one SOP Instance UID. */
  storesOf(sopInstanceUid: string): ReceivedStore[];
  /** The C-STOREs of one SOP Instance UID the peer answered Success (0x0000). */
  successesOf(sopInstanceUid: string): ReceivedStore[];
  close(): Promise<void>;
}

/**
 * Starts a StoreScp whose `onStore` reads each dataset whole, then answers what `answer` says (Success when it
 * returns `undefined`). Other StoreScp options (user identity check, window...) pass through.
 */
export async function startScriptedScp(
  answer: ScriptedAnswer = () => 0,
  options: Omit<StoreScpOptions, 'onStore' | 'port' | 'host'> = {},
): Promise<ScriptedScp> {
  const stores: ReceivedStore[] = [];
  const associations: AssociationInfo[] = [];
  const counts = new Map<string, number>();
  const aeTitle = options.aeTitle ?? 'SCRIPTED';
  const scp = new StoreScp({
    ...options,
    aeTitle,
    port: 0,
    host: '127.0.0.1',
    onStore: async (context) => {
      const attempt = (counts.get(context.sopInstanceUid) ?? 0) + 1;
      counts.set(context.sopInstanceUid, attempt);
      const store: ReceivedStore = {
        sopInstanceUid: context.sopInstanceUid,
        sopClassUid: context.sopClassUid,
        transferSyntax: context.transferSyntax,
        attempt,
        at: performance.now(),
        association: context.association,
      };
      stores.push(store);
      const chunks: Buffer[] = [];
      for await (const chunk of context.dataset) chunks.push(Buffer.from(chunk));
      store.dataset = Buffer.concat(chunks);
      const result = (await answer(store, context)) ?? 0;
      store.status = typeof result === 'number' ? result : result.status;
      return result;
    },
  });
  const track = scp.associations$.subscribe((info) => associations.push(info));
  const { port } = await scp.listen();
  return {
    scp,
    port,
    addr: `127.0.0.1:${port}`,
    aeTitle,
    stores,
    associations,
    storesOf: (uid) => stores.filter((s) => s.sopInstanceUid === uid),
    successesOf: (uid) => stores.filter((s) => s.sopInstanceUid === uid && s.status === 0),
    storeAssociations: () => new Set(stores.map((s) => s.association)),
    close: async () => {
      await scp.close();
      track.unsubscribe();
    },
  };
}

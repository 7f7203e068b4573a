/**
 * Segments that a killed large-object write left in the segment container: the write names them
 * `<object>/slo/<seconds.micros>/<segment size>/<8-digit index>` and deletes them itself when it
 * fails or is cancelled, but not when its process is killed. A group of them is a leftover unless
 * `<object>` is a Static Large Object made of it. Its age is its newest segment's, so an upload
 * still sending segments always looks young. Segments named otherwise (python-swiftclient's have
 * one more level) are never touched.
 */
import { AppError } from '../../errors';
import type { CallOptions, StorageTemporaries, TemporaryObject } from '../provider';

/** One object of a container listing. */
export interface SegmentEntry {
  readonly name: string;
  readonly bytes: number;
  readonly modified: Date;
}

/** What the Swift temporaries need of their provider. */
export interface SwiftTemporariesContext {
  readonly segmentContainer: string;
  /** The storage's object-name prefix (`""` or ending in `/`). */
  readonly prefix: string;
  /** The objects of a container below a name prefix, in name order; none when the container is missing. */
  readonly listContainer: (container: string, prefix: string, signal?: AbortSignal) => AsyncIterable<SegmentEntry>;
  /** The segments (`/container/name`) of the large object `name`; empty when absent or a plain object. */
  readonly segmentsOf: (name: string, signal?: AbortSignal) => Promise<string[]>;
  /** Deletes one object (`NotFound` when it is gone). */
  readonly deleteObject: (container: string, name: string, signal?: AbortSignal) => Promise<void>;
}

/** `<object>/slo/<seconds.micros>/<segment size>/<index>`, as `SwiftProvider.putLarge` names segments. */
const OUR_SEGMENT = /^(.+)\/slo\/(\d+\.\d{6})\/(\d+)\/\d{8}$/;

/** The group (everything but the index) and the object of one of our segment names. */
export function segmentGroup(name: string): { group: string; object: string; startedAt: Date } | undefined {
  const m = OUR_SEGMENT.exec(name);
  if (!m) return undefined;
  return { group: name.slice(0, name.lastIndexOf('/')), object: m[1]!, startedAt: new Date(Number(m[2]) * 1000) };
}

/** A group of segments met in the listing. */
interface Group {
  readonly group: string;
  readonly object: string;
  readonly startedAt: Date;
  size: number;
  newest: number;
}

/** The segment groups below the storage's prefix, each once (the listing is in name order). */
async function* groupsOf(o: SwiftTemporariesContext, signal?: AbortSignal): AsyncGenerator<Group> {
  let current: Group | undefined;
  for await (const e of o.listContainer(o.segmentContainer, o.prefix, signal)) {
    const g = segmentGroup(e.name);
    if (!g) continue;
    if (current?.group !== g.group) {
      if (current) yield current;
      current = { ...g, size: 0, newest: 0 };
    }
    current.size += e.bytes;
    current.newest = Math.max(current.newest, e.modified.getTime());
  }
  if (current) yield current;
}

/** True when the large object `object` is made of the segments of `group`. */
async function inUse(o: SwiftTemporariesContext, group: string, object: string, signal?: AbortSignal): Promise<boolean> {
  const segs = await o.segmentsOf(object, signal);
  const mine = `/${o.segmentContainer}/${group}/`;
  return segs.some((s) => s.startsWith(mine));
}

async function* listLeftovers(o: SwiftTemporariesContext, signal?: AbortSignal): AsyncIterable<TemporaryObject> {
  for await (const g of groupsOf(o, signal)) {
    if (await inUse(o, g.group, g.object, signal)) continue;
    const forKey = g.object.slice(o.prefix.length);
    yield { id: `${forKey} (large-object segments of an upload started ${g.startedAt.toISOString()})`, forKey, size: g.size, modified: new Date(g.newest), handle: g.group };
  }
}

/** The segments of unfinished large-object uploads below the storage's prefix. */
export function swiftTemporaries(o: SwiftTemporariesContext): StorageTemporaries {
  return {
    list: (options: CallOptions = {}) => listLeftovers(o, options.signal),
    async remove(temp: TemporaryObject, options: CallOptions = {}): Promise<void> {
      const { signal } = options;
      const group = temp.handle ?? '';
      const parsed = segmentGroup(`${group}/00000000`);
      if (!parsed || !group.startsWith(o.prefix)) throw new AppError('InvalidInput', `${temp.id} is not a leftover of this storage.`, { hint: 'List the leftovers again with `backup-desk cleanup`.' });
      if (await inUse(o, group, parsed.object, signal)) {
        throw new AppError('Conflict', `${temp.id} became part of ${temp.forKey}: its upload has finished since, so it was not removed.`, { hint: 'Nothing to clean up there.' });
      }
      let removed = 0;
      for await (const e of o.listContainer(o.segmentContainer, `${group}/`, signal)) {
        await o.deleteObject(o.segmentContainer, e.name, signal).then(
          () => removed++,
          (err: unknown) => {
            if (!(err instanceof AppError && err.kind === 'NotFound')) throw err;
          },
        );
      }
      if (removed === 0) throw new AppError('NotFound', `${temp.id} is already gone.`, { hint: 'Nothing to clean up there.' });
    },
  };
}

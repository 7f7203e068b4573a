/**
 * A test double of the transport for component tests: implements the contract's `DeskClient`
 * type with per-test method implementations and a way to push job events.
 */
import { API_METHOD_NAMES, type ApiEvents, type DeskApi, type JobSnapshotDto } from '../../../shared/contract/api';
import type { ApiEventName, DeskClient } from '../../../shared/contract/client';

/** A fake client plus controls. */
export interface FakeClient {
  readonly client: DeskClient;
  /** Calls made, in order: [method, args]. */
  readonly calls: Array<[string, unknown]>;
  /** Pushes an event to subscribers. */
  emit<E extends ApiEventName>(event: E, payload: ApiEvents[E]): void;
}

/** Builds a fake client; methods not given reject with `Unsupported`. */
export function fakeClient(impl: Partial<DeskApi> & Partial<Omit<DeskClient, keyof DeskApi>> = {}): FakeClient {
  const calls: Array<[string, unknown]> = [];
  const subs = new Map<string, Set<(p: unknown) => void>>();
  const methods = Object.fromEntries(
    API_METHOD_NAMES.map((m) => [
      m,
      async (args: unknown) => {
        calls.push([m, args]);
        const f = (impl as Record<string, ((a: unknown) => Promise<unknown>) | undefined>)[m];
        if (!f) throw { kind: 'Unsupported', message: `${m} is not in this fake` };
        return f(args);
      },
    ]),
  ) as unknown as DeskApi;
  const client: DeskClient = {
    ...methods,
    ...impl,
    ...Object.fromEntries(Object.entries(methods)),
    host: 'browser',
    on(event, cb) {
      let s = subs.get(event);
      if (!s) subs.set(event, (s = new Set()));
      s.add(cb as (p: unknown) => void);
      return () => s.delete(cb as (p: unknown) => void);
    },
  } as DeskClient;
  return {
    client,
    calls,
    emit(event, payload) {
      for (const cb of subs.get(event) ?? []) cb(payload);
    },
  };
}

/** A job snapshot for tests. */
export function snap(id: string, patch: Partial<JobSnapshotDto> = {}): JobSnapshotDto {
  return { id, kind: 'test', title: 'Test job', state: 'running', startedAt: new Date().toISOString(), log: [], ...patch };
}

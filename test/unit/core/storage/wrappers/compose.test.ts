import { describe, expect, it } from 'vitest';
import { AppError } from '../../../../../shared/core/errors';
import { jsonLogger } from '../../../../../shared/core/util/logger';
import { withFaults } from '../../../../../shared/core/storage/memory/faults';
import { createMemoryProvider } from '../../../../../shared/core/storage/memory/memory-provider';
import { composeProvider } from '../../../../../shared/core/storage/wrappers/compose';
import { bodyOf } from '../../../../conformance/storage-suite';

describe('composeProvider', () => {
  it('retries outermost, logging each attempt, and keeps the capabilities', async () => {
    const lines: Array<Record<string, unknown>> = [];
    const log = jsonLogger((l) => lines.push(JSON.parse(l) as Record<string, unknown>), 'debug');
    const faulty = withFaults(createMemoryProvider());
    await faulty.provider.write!('a', bodyOf(Buffer.from('a')));
    const p = composeProvider(faulty.provider, { log, retry: { baseDelayMs: 1, retries: 3 }, concurrency: 2 });
    faulty.failNext('stat', new AppError('Transient', 'busy'), 2);
    expect((await p.stat('a')).size).toBe(1);
    const statLines = lines.filter((l) => l.op === 'stat' || String(l.op).startsWith('stat '));
    expect(statLines.map((l) => l.level)).toEqual(['warn', 'warn', 'warn', 'warn', 'debug']);
    expect(p.capabilities).toBe(faulty.provider.capabilities);
    expect(typeof p.write).toBe('function');
    const ro = composeProvider(createMemoryProvider({ readOnly: true }), { retry: false, concurrency: false });
    expect(ro.write).toBeUndefined();
  });
});

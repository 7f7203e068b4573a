import { describe, expect, it } from 'vitest';
import { jsonLogger } from '../../../../../shared/core/util/logger';
import { createMemoryProvider } from '../../../../../shared/core/storage/memory/memory-provider';
import { withLogging } from '../../../../../shared/core/storage/wrappers/logging';
import { bodyOf, collect, drain, expectKind } from '../../../../conformance/storage-suite';

describe('withLogging', () => {
  it('logs method, key, duration and error kind, without touching the stream flow', async () => {
    const lines: Array<Record<string, unknown>> = [];
    const log = jsonLogger((l) => lines.push(JSON.parse(l) as Record<string, unknown>), 'debug');
    const p = withLogging(createMemoryProvider(), log);
    await p.write!('a.zip', bodyOf(Buffer.from('secret-content')), { size: 14 });
    const s = await p.read('a.zip');
    await new Promise((r) => setTimeout(r, 20)); // a flowing stream would lose data here
    expect((await drain(s)).toString()).toBe('secret-content');
    await collect(p.list(''));
    await expectKind(() => p.stat('missing.zip'), 'NotFound');
    const ops = lines.map((l) => `${String(l.level)}:${String(l.op)}`);
    expect(ops).toEqual(['debug:write', 'debug:read', 'debug:list', 'warn:stat']);
    expect(lines[0]).toMatchObject({ key: 'a.zip', size: 14 });
    expect(lines[2]).toMatchObject({ prefix: '', count: 1 });
    expect(lines[3]).toMatchObject({ key: 'missing.zip', kind: 'NotFound' });
    for (const l of lines) expect(typeof l.ms).toBe('number');
    expect(JSON.stringify(lines)).not.toContain('secret-content');
  });
});

import { describe, expect, it } from 'vitest';
import { odooNow, uuid1 } from '../../../../shared/core/restore/odoo-post';

describe('Odoo identity helpers', () => {
  it('makes version-1 UUIDs whose timestamp is now, unique each time', () => {
    const now = Date.UTC(2026, 10, 23, 12, 0, 0);
    const u = uuid1(now);
    expect(u).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-1[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    const [low, mid, hi] = u.split('-');
    const t = (BigInt(`0x${hi!.slice(1)}`) << 48n) | (BigInt(`0x${mid}`) << 32n) | BigInt(`0x${low}`);
    const ms = Number((t - 0x01b21dd213814000n) / 10000n);
    expect(ms).toBe(now);
    expect(new Set(Array.from({ length: 100 }, () => uuid1())).size).toBe(100);
    expect(odooNow(new Date(now))).toBe('2026-11-23 12:00:00');
  });
});

import { describe, expect, it } from 'vitest';
import { sniffFormat } from '../../../../shared/core/archive/sniff';

describe('sniffFormat', () => {
  it.each([
    [Buffer.from('PK\x03\x04\x14\x00'), 'zip'],
    [Buffer.from('PK\x05\x06' + '\0'.repeat(18)), 'zip'],
    [Buffer.from('PGDMP\x01\x0e\x00\x04\x08\x01'), 'dump'],
    [Buffer.from([0x1f, 0x8b, 0x08, 0]), 'sql-gz'],
    [Buffer.from('-----BEGIN PGP MESSAGE-----\n\njA0ECQMC'), 'openpgp'],
    [Buffer.from([0x8c, 0x0d, 0x04, 0x09]), 'openpgp'], // old-format SKESK (tag 3), as gpg --symmetric writes
    [Buffer.from([0xc3, 0x0d, 0x04, 0x09]), 'openpgp'], // new-format SKESK
    [Buffer.from([0x85, 0x01, 0x0c, 0x03]), 'openpgp'], // old-format PKESK (tag 1)
    [Buffer.from('--\n-- PostgreSQL database dump\n--\n'), 'sql'],
    [Buffer.from('\ufeff\n\nSET statement_timeout = 0;'), 'sql'],
    [Buffer.from('\\restrict abc\n'), 'sql'],
    [Buffer.from('Hello, this is a letter.'), 'unknown'],
    [Buffer.alloc(0), 'unknown'],
    [Buffer.from('PK'), 'unknown'],
  ])('%j is %s', (head, want) => {
    expect(sniffFormat(head)).toBe(want);
  });
});

import { describe, expect, it } from 'vitest';
import { VaultPrompt, type VaultLockedNotice } from '../../../../electron/main/vault-prompt';

describe('VaultPrompt', () => {
  it('sends one request for concurrent asks and resolves them all with the answer', async () => {
    const sent: VaultLockedNotice[] = [];
    const prompt = new VaultPrompt((n) => sent.push(n));
    const a = prompt.ask();
    const b = prompt.ask();
    expect(sent).toHaveLength(1);
    expect(sent[0]?.retry).toBe(false);
    prompt.answer(sent[0]!.requestId, 'correct horse');
    expect(await a).toBe('correct horse');
    expect(await b).toBe('correct horse');
  });

  it('marks a second request after an answer as a retry (the passphrase was wrong)', async () => {
    const sent: VaultLockedNotice[] = [];
    const prompt = new VaultPrompt((n) => sent.push(n));
    const first = prompt.ask();
    prompt.answer(sent[0]!.requestId, 'wrong');
    await first;
    void prompt.ask();
    expect(sent[1]).toMatchObject({ retry: true });
    expect(sent[1]?.requestId).not.toBe(sent[0]?.requestId);
  });

  it('rejects as Cancelled when the person keeps the vault locked, and refuses stale answers', async () => {
    const sent: VaultLockedNotice[] = [];
    const prompt = new VaultPrompt((n) => sent.push(n));
    const p = prompt.ask();
    expect(() => prompt.answer('not-the-request', 'x')).toThrow(/No vault passphrase is being asked/);
    prompt.answer(sent[0]!.requestId);
    await expect(p).rejects.toMatchObject({ kind: 'Cancelled' });
    expect(() => prompt.answer(sent[0]!.requestId, 'late')).toThrow();
  });
});

/**
 * The Activity screen's running card says how far a job is: bytes of the total and the average
 * speed, or the bytes so far when no total is known (a backup's dump has no size up front).
 */
import { cleanup, render, screen } from '@testing-library/react';
import { afterEach, describe, expect, it } from 'vitest';
import type { JobSnapshotDto } from '../../../shared/contract/api';
import { ApiProvider } from '../../../renderer/src/app/api-context';
import { ActivityView, progressText } from '../../../renderer/src/features/activity/activity-view';
import { fakeClient } from './fake-client';

const started = new Date(Date.now() - 10_000).toISOString();
const job = (progress: JobSnapshotDto['progress']): JobSnapshotDto => ({ id: 'j1', kind: 'backup', title: 'Back up acme', state: 'running', startedAt: started, log: [], ...(progress ? { progress } : {}) }) as JobSnapshotDto;

describe('Activity: a running job', () => {
  afterEach(cleanup);

  it('shows the bytes written so far and the speed when the total is unknown', () => {
    render(
      <ApiProvider client={fakeClient().client}>
        <ActivityView jobs={[job({ phase: 'write', label: 'Dumping, archiving and uploading', done: 50_000_000, unit: 'bytes' })]} />
      </ApiProvider>,
    );
    expect(screen.getByText(/^Dumping, archiving and uploading — 50 MB so far, [45]\.\d MB\/s$/)).toBeInTheDocument();
  });

  it('says bytes of the total with the speed, items of their count, and nothing before any is done', () => {
    expect(progressText({ phase: 'x', done: 100_000_000, total: 300_000_000, unit: 'bytes' }, 10)).toBe(' — 100 MB of 300 MB, 10 MB/s');
    expect(progressText({ phase: 'x', done: 3, total: 10, unit: 'items' }, 10)).toBe(' — 3 of 10');
    expect(progressText({ phase: 'x', done: 0, unit: 'bytes' }, 0.2)).toBe(' — 0 B so far');
    expect(progressText({ phase: 'x' }, 10)).toBe('');
  });
});

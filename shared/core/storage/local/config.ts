/** Settings of a local-folder storage: just the folder. */
import { isAbsolute } from 'node:path';
import { z } from 'zod';
import type { SettingField } from '../provider';

/** Validated settings of a local-folder storage. */
export const localConfigSchema = z.object({
  path: z
    .string()
    .min(1, 'The folder path is required.')
    .refine((p) => isAbsolute(p), 'The folder path must be absolute.'),
});
/** Validated settings of a local-folder storage. */
export type LocalConfig = z.infer<typeof localConfigSchema>;

/** The settings form / CLI flags of a local-folder storage. */
export const localFields: readonly SettingField[] = [
  { name: 'path', label: 'Folder', type: 'path', required: true, secret: false, help: 'The folder holding the backups (sub-folders are included).' },
];

/** One-line description of where it points. */
export function describeLocal(config: LocalConfig): string {
  return `folder ${config.path}`;
}

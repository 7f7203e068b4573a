/** The local-folder storage factory. */
import { stat } from 'node:fs/promises';
import { AppError } from '../../errors';
import type { ProviderFactory } from '../provider';
import { describeLocal, localConfigSchema, localFields, type LocalConfig } from './config';
import { LocalProvider } from './provider';

/** Creates local-folder storages. */
export const localFactory: ProviderFactory<LocalConfig> & { preflight(config: LocalConfig): Promise<void> } = {
  kind: 'local',
  label: 'Local folder',
  fields: localFields,
  configSchema: localConfigSchema,
  async create(config) {
    return new LocalProvider(config.path);
  },
  describe: describeLocal,
  /** Checks, when the storage is added, that the folder exists. */
  async preflight(config) {
    let st;
    try {
      st = await stat(config.path);
    } catch {
      throw new AppError('InvalidInput', `The folder ${config.path} does not exist.`, { hint: 'Create it first, or check the path.' });
    }
    if (!st.isDirectory()) throw new AppError('InvalidInput', `${config.path} is not a folder.`, { hint: 'Give the path of a folder.' });
  },
};

const _check: ProviderFactory<LocalConfig> = localFactory;
void _check;

export { LocalProvider, LOCAL_TEMP_MARKER } from './provider';
export type { LocalConfig } from './config';

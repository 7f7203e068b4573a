/** Config and home folder: where the app's state lives. */
export { resolveHome, defaultHome, type HomeOptions } from './home';
export {
  loadConfig,
  saveConfig,
  configPath,
  emptyConfig,
  ConfigStore,
  STORAGE_NAME_PATTERN,
  configSchema,
  storageEntrySchema,
  type AppConfig,
  type AppSettings,
  type StorageEntry,
} from './config';

/** Storages: the provider interface, the registry of kinds, and opening a configured storage. */
export type {
  StorageProvider,
  ProviderFactory,
  ProviderDeps,
  ProviderKind,
  ObjectInfo,
  ObjectChecksum,
  ByteRange,
  Capabilities,
  CallOptions,
  ListOptions,
  ReadOptions,
  WriteOptions,
  SettingField,
} from './provider';
export { listFactories, getFactory, openStorage, parseSettings, type RegisteredFactory, type OpenableStorage, type OpenStorageDeps } from './registry';

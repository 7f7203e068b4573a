/** The OpenStack Swift storage factory. */
import type { ProviderFactory } from '../provider';
import { SwiftClient } from './client';
import { describeSwift, swiftConfigSchema, swiftFields, type SwiftConfig } from './config';
import { SwiftProvider } from './provider';

/** Creates Swift storages (Keystone v3 or tempauth). The password/key is the secret `password`. */
export const swiftFactory: ProviderFactory<SwiftConfig> = {
  kind: 'swift',
  label: 'OpenStack Swift',
  fields: swiftFields,
  configSchema: swiftConfigSchema,
  async create(config, secretScope, deps) {
    const storageName = deps.storageName ?? secretScope.replace(/^storage:/, '');
    const log = deps.log.child({ provider: 'swift' });
    const client = new SwiftClient({
      config,
      password: () => deps.secrets.get(secretScope, 'password'),
      fetch: deps.fetch ?? fetch,
      log,
      storageName,
    });
    return new SwiftProvider({
      client,
      container: config.container,
      prefix: config.prefix,
      segmentContainer: config.segmentContainer ?? `${config.container}_segments`,
      segmentThresholdBytes: config.segmentThresholdBytes,
      segmentSizeBytes: config.segmentSizeBytes,
      log,
      storageName,
    });
  },
  describe: describeSwift,
};

const _check: ProviderFactory<SwiftConfig> = swiftFactory;
void _check;

export { SwiftProvider, objectPath } from './provider';
export { SwiftClient, selectEndpoint, keystoneTokensUrl } from './client';
export type { SwiftConfig } from './config';

import { XsagaError } from '../runtime/errors.ts';
import type { Logger } from '../runtime/logger.ts';
import { ROLES, type Config } from './config.ts';
import { createEmbeddedAdapters } from './embeddedAdapters.ts';
import type { SystemAdapters } from './system.ts';

/** The adapters the configuration's mode asks for. */
export async function createAdapters(config: Config, logger: Logger): Promise<SystemAdapters> {
  if (config.mode === 'production') {
    // Loaded on demand: the embedded default never loads the Kafka, Elasticsearch or Redis clients.
    const { createProductionAdapters } = await import('./productionAdapters.ts');
    return createProductionAdapters({ ...config.production!, partitions: config.partitions, roles: config.roles }, logger);
  }
  if (config.roles.length !== ROLES.length) {
    throw new XsagaError('CONFIG', 'The embedded mode runs every role in one process; set XSAGA_MODE=production to run roles apart');
  }
  return createEmbeddedAdapters(config, logger);
}

import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { AuditService } from './audit/audit.service.js';
import { AuthService } from './auth/auth.service.js';
import { CredentialsService } from './credentials/credentials.service.js';
import { RateLimiter } from './auth/rate-limit.js';
import { TokenSigner } from './auth/tokens.js';
import type { Config } from './config/config.js';
import type { Database } from './db/database.js';
import { GroupsService } from './groups/groups.service.js';
import type { NodeTypeRegistry } from './node-types/registry.js';
import { ScriptNodeTypes } from './node-types/script-types.js';
import { PluginInstaller } from './plugins/installer.js';
import { PluginsService } from './plugins/plugins.service.js';
import { OrgsService } from './orgs/orgs.service.js';
import { OutboxService } from './outbox/outbox.service.js';
import { PipelinesService } from './pipelines/pipelines.service.js';
import type { EventBus } from './runs/events.js';
import { RunsService } from './runs/runs.service.js';
import path from 'node:path';
import { ServiceAccountsService } from './service-accounts/service-accounts.service.js';
import { SCRIPT_DEFAULTS, SettingsService } from './settings/settings.service.js';
import { WebhookReceiver } from './triggers/webhooks.js';
import { UsersService } from './users/users.service.js';

export interface Services {
  db: Database;
  config: Config;
  logger: Logger;
  metrics: Registry;
  audit: AuditService;
  auth: AuthService;
  users: UsersService;
  groups: GroupsService;
  serviceAccounts: ServiceAccountsService;
  credentials: CredentialsService;
  orgs: OrgsService;
  outbox: OutboxService;
  registry: NodeTypeRegistry;
  scriptTypes: ScriptNodeTypes;
  plugins: PluginsService;
  pluginInstaller: PluginInstaller;
  pipelines: PipelinesService;
  runs: RunsService;
  events: EventBus;
  settings: SettingsService;
  webhooks: WebhookReceiver;
  openapi(): unknown;
}

export interface ServiceDependencies {
  db: Database;
  config: Config;
  logger: Logger;
  masterKey: Buffer;
  metrics: Registry;
  registry: NodeTypeRegistry;
  events: EventBus;
}

export function createServices({ db, config, logger, masterKey, metrics, registry, events }: ServiceDependencies): Omit<Services, 'openapi'> {
  const audit = new AuditService(db);
  const outbox = new OutboxService(db, logger, config.smtpUrl, config.mailFrom);
  const signer = new TokenSigner(masterKey, config.tokenTtlSeconds);
  const credentials = new CredentialsService(db, audit, registry, masterKey);
  const scriptTypes = new ScriptNodeTypes(db, audit, registry);
  const plugins = new PluginsService(db, audit, registry);
  const pipelines = new PipelinesService(db, audit, scriptTypes, credentials, plugins);
  const services: Omit<Services, 'openapi' | 'webhooks'> = {
    db,
    config,
    logger,
    metrics,
    audit,
    outbox,
    auth: new AuthService(db, config, signer, new RateLimiter(db), audit, outbox, logger),
    users: new UsersService(db, audit),
    groups: new GroupsService(db, audit),
    serviceAccounts: new ServiceAccountsService(db, audit),
    credentials,
    orgs: new OrgsService(db, audit),
    registry,
    scriptTypes,
    plugins,
    pluginInstaller: new PluginInstaller(db, audit, registry, plugins, events, { dataDir: config.dataDir, npmRegistry: config.npmRegistry, logger }),
    pipelines,
    events,
    runs: new RunsService(db, audit, pipelines, events, path.join(config.dataDir, 'artifacts')),
    settings: new SettingsService(db, audit, { sandbox: { memoryMb: config.isolateMemoryMb, timeoutMs: config.isolateTimeoutMs }, scripts: SCRIPT_DEFAULTS }),
  };
  return { ...services, webhooks: new WebhookReceiver(services) };
}

import { route } from '../http/route.js';
import { Scheduler } from './scheduler.js';

export const triggersRoutes = [
  route({
    method: 'post',
    path: '/hooks/:orgSlug/*path',
    summary:
      'Webhook of a published, enabled pipeline: 202 { runId } once the run is stored (200 with the run when the node waits for its output). ' +
      'Signed deliveries follow Standard Webhooks; a repeated webhook-id answers the first run',
    tag: 'Triggers',
    access: 'public',
    freeParams: ['orgSlug', 'path'],
    handler: ({ services, caller, params, koa }) => services.webhooks.receive(koa, caller, params.orgSlug, params.path),
  }),
  route({
    method: 'get',
    path: '/api/pipelines/:id/triggers',
    summary: "The pipeline's live triggers: webhook URLs and schedules with their next fire times",
    tag: 'Pipelines',
    access: ['admin', 'manager'],
    handler: async ({ services, caller, params }) => {
      const pipeline = await services.pipelines.find(caller, params.id);
      const [org, webhooks, schedules] = await Promise.all([
        services.db('orgs').where({ id: pipeline.orgId }).first('slug'),
        services.db('webhookRoutes').where({ pipelineId: pipeline.id }).orderBy('path').select('nodeId', 'path', 'version', 'credentialId', 'respond', 'timeoutMs'),
        Scheduler.of(services.db, pipeline.id),
      ]);
      return {
        webhooks: webhooks.map((hook) => ({ ...hook, url: `/hooks/${org.slug}/${hook.path}`, signed: hook.credentialId !== null })),
        schedules,
      };
    },
  }),
];

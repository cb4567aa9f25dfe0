import type { Knex } from 'knex';
import type { AuditService } from '../audit/audit.service.js';
import type { AuthenticatedCaller, UserCaller } from '../auth/caller.js';
import type { Database } from '../db/database.js';
import { HttpError, invalid, notFound } from '../http/errors.js';
import type { CredentialsService } from '../credentials/credentials.service.js';
import type { ScriptNodeTypes } from '../node-types/script-types.js';
import type { PluginsService } from '../plugins/plugins.service.js';
import { syncTriggers, triggerErrors } from '../triggers/sync.js';
import { EMPTY_GRAPH, isStructural, pinVersions, validateGraph, type Graph, type GraphError } from './graph.js';

export interface PipelineRow {
  id: string;
  orgId: string;
  groupId: string;
  clientId: string | null;
  name: string;
  description: string | null;
  enabled: boolean;
  graph: Graph;
  latestVersion: number | null;
  createdAt: Date;
  updatedAt: Date;
}

const present = (row: PipelineRow) => ({
  id: row.id,
  name: row.name,
  description: row.description,
  groupId: row.groupId,
  clientId: row.clientId,
  enabled: row.enabled,
  graph: row.graph,
  latestVersion: row.latestVersion,
  createdAt: row.createdAt,
  updatedAt: row.updatedAt,
});

export const graphInvalid = (errors: GraphError[]) => new HttpError(400, 'invalid_graph', 'The pipeline graph is invalid', { errors });

export class PipelinesService {
  constructor(
    private readonly db: Database,
    private readonly audit: AuditService,
    private readonly scriptTypes: ScriptNodeTypes,
    private readonly credentials: CredentialsService,
    private readonly plugins: PluginsService,
  ) {}

  /** Pipelines the caller may see: admins the org's, managers their groups', service accounts their groups'. */
  visible(caller: AuthenticatedCaller, db: Knex | Knex.Transaction = this.db) {
    const query = db('pipelines').where('pipelines.orgId', caller.principal.orgId).whereNull('pipelines.deletedAt');
    const principal = caller.principal;
    if (principal.kind === 'service') query.whereIn('pipelines.groupId', principal.groupIds);
    else if (principal.role === 'manager') query.whereIn('pipelines.groupId', db('groupMembers').where({ userId: principal.userId }).select('groupId'));
    else if (principal.role !== 'admin') query.whereRaw('false');
    return query;
  }

  async find(caller: AuthenticatedCaller, id: string, trx?: Knex.Transaction): Promise<PipelineRow> {
    const query = this.visible(caller, trx).where('pipelines.id', id).first();
    if (trx) query.forUpdate();
    const row: PipelineRow | undefined = await query;
    if (!row) throw notFound('Pipeline');
    return row;
  }

  async list(caller: UserCaller, filter: { groupId?: string; clientId?: string }) {
    const query = this.visible(caller).orderBy('name');
    if (filter.groupId) query.where('groupId', filter.groupId);
    if (filter.clientId) query.where('clientId', filter.clientId);
    const rows: PipelineRow[] = await query;
    // The list leaves the graphs out; a pipeline's own GET has it.
    return rows.map((row) => ({ ...present(row), graph: undefined, nodeCount: row.graph.nodes.length }));
  }

  async get(caller: AuthenticatedCaller, id: string) {
    return present(await this.find(caller, id));
  }

  private async checkGroupAndClient(trx: Knex.Transaction, caller: UserCaller, groupId: string | undefined, clientId: string | null | undefined) {
    const { orgId, role, userId } = caller.principal;
    if (groupId !== undefined) {
      const group = await trx('groups').where({ id: groupId, orgId }).first();
      const member = role === 'admin' || (await trx('groupMembers').where({ groupId, userId }).first());
      if (!group || !member) throw invalid({ groupId: 'is not a group of yours' }, 'Unknown group');
    }
    if (clientId) {
      const client = await trx('users').where({ id: clientId, orgId, role: 'client' }).whereNull('deletedAt').first();
      const assigned = role === 'admin' || (await trx('managerClients').where({ managerId: userId, clientId }).first());
      if (!client || !assigned) throw invalid({ clientId: 'is not a client of yours' }, 'Unknown client');
    }
  }

  /**
   * Only admins may add or change a node that runs trusted (with network access); a manager may
   * keep one an admin made, unchanged.
   */
  private checkTrust(caller: UserCaller, graph: Graph, stored: Graph) {
    if (caller.principal.role === 'admin') return;
    const before = new Map(stored.nodes.map((node) => [node.id, JSON.stringify({ type: node.type, data: node.data })]));
    const errors: GraphError[] = graph.nodes
      .filter((node) => node.data?.args?.trust === 'trusted' && before.get(node.id) !== JSON.stringify({ type: node.type, data: node.data }))
      .map((node) => ({ nodeId: node.id, code: 'trust_requires_admin' as const, message: 'Only an admin may let a script run trusted (with network access)' }));
    if (errors.length) throw new HttpError(403, 'forbidden', 'Only an admin may let a script run trusted', { errors });
  }

  /** Pins versions and refuses graphs that cannot even be a draft (cycles, unknown types, dangling edges). */
  private async prepareDraft(caller: UserCaller, groupId: string, graph: Graph, stored: Graph = EMPTY_GRAPH): Promise<Graph> {
    this.checkTrust(caller, graph, stored);
    const context = await this.validationContext(caller.principal.orgId, groupId);
    const pinned = pinVersions(graph, context.registry);
    const structural = validateGraph(pinned, context).filter(isStructural);
    if (structural.length) throw graphInvalid(structural);
    return pinned;
  }

  async validationContext(orgId: string, groupId: string) {
    const [registry, credentials, isEnabled] = await Promise.all([this.scriptTypes.lookup(orgId), this.credentials.usable(orgId, groupId), this.plugins.enabledCheck(orgId)]);
    return { registry, isEnabled, ...credentials };
  }

  async validate(caller: AuthenticatedCaller, id: string) {
    const pipeline = await this.find(caller, id);
    const errors = [...validateGraph(pipeline.graph, await this.validationContext(pipeline.orgId, pipeline.groupId)), ...triggerErrors(pipeline.graph)];
    return { valid: errors.length === 0, errors };
  }

  /** Full validation of a graph about to run or be published: 400 with every error. */
  async assertRunnable(pipeline: { orgId: string; groupId: string }, graph: Graph): Promise<void> {
    const errors = [...validateGraph(graph, await this.validationContext(pipeline.orgId, pipeline.groupId)), ...triggerErrors(graph)];
    if (errors.length) throw graphInvalid(errors);
  }

  async create(caller: UserCaller, input: { name: string; groupId: string; clientId?: string | null; description?: string | null; graph?: Graph }) {
    const graph = await this.prepareDraft(caller, input.groupId, input.graph ?? EMPTY_GRAPH);
    return this.db.transaction(async (trx) => {
      await this.checkGroupAndClient(trx, caller, input.groupId, input.clientId);
      const [row] = await trx('pipelines')
        .insert({
          orgId: caller.principal.orgId,
          groupId: input.groupId,
          clientId: input.clientId ?? null,
          name: input.name,
          description: input.description ?? null,
          graph: JSON.stringify(graph),
          createdBy: caller.principal.userId,
        })
        .returning('*');
      await this.audit.record(trx, caller, { orgId: row.orgId, action: 'pipeline.created', entityType: 'pipeline', entityId: row.id, after: present(row) });
      return present(row);
    });
  }

  async saveGraph(caller: UserCaller, id: string, graph: Graph) {
    return this.db.transaction(async (trx) => {
      const before = await this.find(caller, id, trx);
      const pinned = await this.prepareDraft(caller, before.groupId, graph, before.graph);
      const [row] = await trx('pipelines').where({ id }).update({ graph: JSON.stringify(pinned), updatedAt: trx.fn.now() }).returning('*');
      await this.audit.record(trx, caller, {
        orgId: row.orgId,
        action: 'pipeline.graph_saved',
        entityType: 'pipeline',
        entityId: id,
        before: { nodes: before.graph.nodes.length, edges: before.graph.edges.length },
        after: { nodes: pinned.nodes.length, edges: pinned.edges.length },
      });
      return present(row);
    });
  }

  async update(caller: UserCaller, id: string, changes: { name?: string; description?: string | null; enabled?: boolean; clientId?: string | null }) {
    return this.db.transaction(async (trx) => {
      const before = await this.find(caller, id, trx);
      await this.checkGroupAndClient(trx, caller, undefined, changes.clientId);
      const [row] = await trx('pipelines').where({ id }).update({ ...changes, updatedAt: trx.fn.now() }).returning('*');
      if (changes.enabled !== undefined && changes.enabled !== before.enabled) await syncTriggers(trx, id);
      const { graph: _before, ...beforeMeta } = present(before);
      const { graph: _after, ...afterMeta } = present(row);
      await this.audit.record(trx, caller, { orgId: row.orgId, action: 'pipeline.updated', entityType: 'pipeline', entityId: id, before: beforeMeta, after: afterMeta });
      return present(row);
    });
  }

  async remove(caller: UserCaller, id: string): Promise<void> {
    await this.db.transaction(async (trx) => {
      const before = await this.find(caller, id, trx);
      await trx('pipelines').where({ id }).update({ deletedAt: trx.fn.now(), enabled: false });
      await syncTriggers(trx, id);
      await this.audit.record(trx, caller, { orgId: before.orgId, action: 'pipeline.deleted', entityType: 'pipeline', entityId: id, before: { name: before.name } });
    });
  }

  async publish(caller: UserCaller, id: string) {
    return this.db.transaction(async (trx) => {
      const pipeline = await this.find(caller, id, trx);
      await this.assertRunnable(pipeline, pipeline.graph);
      const version = (pipeline.latestVersion ?? 0) + 1;
      await trx('pipelineVersions').insert({ orgId: pipeline.orgId, pipelineId: id, version, graph: JSON.stringify(pipeline.graph), createdBy: caller.principal.userId });
      await trx('pipelines').where({ id }).update({ latestVersion: version, updatedAt: trx.fn.now() });
      // The new version takes over the pipeline's webhooks and schedules, or the publication fails.
      await syncTriggers(trx, id);
      await this.audit.record(trx, caller, { orgId: pipeline.orgId, action: 'pipeline.published', entityType: 'pipeline', entityId: id, after: { version } });
      return { version };
    });
  }

  async versions(caller: AuthenticatedCaller, id: string) {
    await this.find(caller, id);
    return this.db('pipelineVersions').where({ pipelineId: id }).orderBy('version', 'desc').select('version', 'createdAt', 'createdBy');
  }

  async version(caller: AuthenticatedCaller, id: string, version: number) {
    await this.find(caller, id);
    const row = await this.db('pipelineVersions').where({ pipelineId: id, version }).first('version', 'graph', 'createdAt', 'createdBy');
    if (!row) throw notFound('Version');
    return row as { version: number; graph: Graph; createdAt: Date; createdBy: string | null };
  }
}

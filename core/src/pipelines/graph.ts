import type { Json } from '@piper/sdk';
import type { ErrorObject } from 'ajv';
import { findTemplates, pointer, rawArgNames } from '../engine/templates.js';
import { outputHandles, type NodeTypeLookup } from '../node-types/registry.js';

export interface SandboxSettings {
  memoryMb?: number;
  timeoutMs?: number;
}

export interface NodeSettings {
  retry?: { maxAttempts?: number; backoffMs?: number; factor?: number };
  /** Limits of this node's isolate calls (transform code, expressions), over the org's defaults. */
  sandbox?: SandboxSettings;
  timeoutMs?: number;
  continueOnFail?: boolean;
}

export interface GraphNode {
  id: string;
  type: string;
  position?: { x: number; y: number };
  data: { version?: string; args?: Record<string, Json>; credentialId?: string | null; label?: string; settings?: NodeSettings };
}

export interface GraphEdge {
  id: string;
  source: string;
  target: string;
  sourceHandle?: string | null;
  targetHandle?: string | null;
}

export interface Graph {
  nodes: GraphNode[];
  edges: GraphEdge[];
}

export const EMPTY_GRAPH: Graph = { nodes: [], edges: [] };
export const MAX_NODES = 2000;
export const MAX_ARGS_BYTES = 256 * 1024;

const id = { type: 'string', minLength: 1, maxLength: 100 } as const;

/** Isolate limits, as an org default (settings) or for one node. */
export const sandboxSettingsSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    memoryMb: { type: 'integer', minimum: 8, maximum: 1024 },
    timeoutMs: { type: 'integer', minimum: 1, maximum: 60_000 },
  },
} as const;

/** The shape of a graph (compatible with @xyflow/react); semantics are checked by validateGraph. */
export const graphSchema = {
  type: 'object',
  required: ['nodes', 'edges'],
  properties: {
    nodes: {
      type: 'array',
      maxItems: MAX_NODES,
      items: {
        type: 'object',
        required: ['id', 'type'],
        properties: {
          id,
          type: { type: 'string', minLength: 1, maxLength: 200 },
          position: { type: 'object', properties: { x: { type: 'number' }, y: { type: 'number' } } },
          data: {
            type: 'object',
            default: {},
            properties: {
              version: { type: 'string', maxLength: 100 },
              args: { type: 'object', default: {} },
              credentialId: { anyOf: [{ type: 'string', format: 'uuid' }, { type: 'null' }] },
              label: { type: 'string', maxLength: 500 },
              settings: {
                type: 'object',
                properties: {
                  retry: {
                    type: 'object',
                    properties: {
                      maxAttempts: { type: 'integer', minimum: 1, maximum: 100 },
                      backoffMs: { type: 'integer', minimum: 0, maximum: 86_400_000 },
                      factor: { type: 'number', minimum: 1, maximum: 10 },
                    },
                  },
                  timeoutMs: { type: 'integer', minimum: 1, maximum: 86_400_000 },
                  continueOnFail: { type: 'boolean' },
                  sandbox: sandboxSettingsSchema,
                },
              },
            },
          },
        },
      },
    },
    edges: {
      type: 'array',
      maxItems: MAX_NODES * 4,
      items: {
        type: 'object',
        required: ['id', 'source', 'target'],
        properties: {
          id,
          source: id,
          target: id,
          sourceHandle: { type: ['string', 'null'], maxLength: 100 },
          targetHandle: { type: ['string', 'null'], maxLength: 100 },
        },
      },
    },
  },
} as const;

export type GraphErrorCode =
  | 'duplicate_node_id'
  | 'duplicate_edge_id'
  | 'unknown_node_type'
  | 'unknown_version'
  | 'args_too_large'
  | 'dangling_edge'
  | 'unknown_handle'
  | 'cycle'
  | 'invalid_args'
  | 'missing_input'
  | 'unexpected_input'
  | 'credential_not_found'
  | 'credential_type_mismatch'
  | 'credential_required'
  | 'empty_graph'
  | 'trust_requires_admin';

export interface GraphError {
  nodeId?: string;
  edgeId?: string;
  code: GraphErrorCode;
  message: string;
  details?: unknown;
}

/** Errors that make a graph unusable even as a draft; the others only block publishing and running. */
const STRUCTURAL: ReadonlySet<GraphErrorCode> = new Set([
  'duplicate_node_id',
  'duplicate_edge_id',
  'unknown_node_type',
  'unknown_version',
  'args_too_large',
  'dangling_edge',
  'unknown_handle',
  'unexpected_input',
  'cycle',
]);

export const isStructural = (error: GraphError) => STRUCTURAL.has(error.code);

export interface ValidationContext {
  registry: NodeTypeLookup;
  /** The credentials the pipeline may use (its group's and the org-wide ones) by id, with their type. */
  credentials: Map<string, { type: string }>;
  /** Credential types for which the org has a default credential. */
  defaults?: Set<string>;
  /** Node types disabled for the org (issue of plugins); none by default. */
  isEnabled?: (type: string, version: string) => boolean;
}

/** Pins every node without a version to the newest installed version of its type. */
export function pinVersions(graph: Graph, registry: NodeTypeLookup): Graph {
  return {
    ...graph,
    nodes: graph.nodes.map((node) => {
      if (node.data?.version) return node;
      const latest = registry.latest(node.type);
      return latest ? { ...node, data: { ...node.data, version: latest.definition.version } } : node;
    }),
  };
}

function argErrors(errors: ErrorObject[] | null | undefined, templated: Set<string>) {
  return (errors ?? [])
    .filter((error) => ![...templated].some((path) => error.instancePath === path || error.instancePath.startsWith(path + '/')))
    .map((error) => ({ path: error.instancePath || '/', message: error.message ?? 'is invalid', ...(error.keyword === 'required' ? { missing: (error.params as { missingProperty: string }).missingProperty } : {}) }));
}

/** Topological order of the nodes, or the ids of the nodes caught in cycles. */
export function topologicalOrder(graph: Graph): { order: string[]; cyclic: string[] } {
  const incoming = new Map(graph.nodes.map((node) => [node.id, 0]));
  const children = new Map<string, string[]>(graph.nodes.map((node) => [node.id, []]));
  for (const edge of graph.edges) {
    if (!incoming.has(edge.source) || !incoming.has(edge.target)) continue;
    incoming.set(edge.target, incoming.get(edge.target)! + 1);
    children.get(edge.source)!.push(edge.target);
  }
  const ready = [...incoming].filter(([, count]) => count === 0).map(([nodeId]) => nodeId);
  const order: string[] = [];
  while (ready.length) {
    const nodeId = ready.shift()!;
    order.push(nodeId);
    for (const child of children.get(nodeId)!) {
      incoming.set(child, incoming.get(child)! - 1);
      if (incoming.get(child) === 0) ready.push(child);
    }
  }
  const placed = new Set(order);
  return { order, cyclic: graph.nodes.map((node) => node.id).filter((nodeId) => !placed.has(nodeId)) };
}

/** Every problem of a graph, each naming its node or edge. */
export function validateGraph(graph: Graph, context: ValidationContext): GraphError[] {
  const errors: GraphError[] = [];
  const nodes = new Map<string, GraphNode>();
  if (graph.nodes.length === 0) errors.push({ code: 'empty_graph', message: 'The pipeline has no nodes' });

  for (const node of graph.nodes) {
    if (nodes.has(node.id)) {
      errors.push({ nodeId: node.id, code: 'duplicate_node_id', message: `Two nodes share the id "${node.id}"` });
      continue;
    }
    nodes.set(node.id, node);
    const version = node.data?.version;
    const registered = version ? context.registry.get(node.type, version) : undefined;
    if (!context.registry.latest(node.type)) {
      errors.push({ nodeId: node.id, code: 'unknown_node_type', message: `Node type "${node.type}" is not installed` });
      continue;
    }
    if (!registered || (context.isEnabled && !context.isEnabled(node.type, version!))) {
      const installed = context.registry.versions(node.type).join(', ');
      errors.push({ nodeId: node.id, code: 'unknown_version', message: `${node.type}@${version ?? '?'} is not available (installed: ${installed})` });
      continue;
    }
    const args = node.data?.args ?? {};
    const size = Buffer.byteLength(JSON.stringify(args));
    if (size > MAX_ARGS_BYTES) {
      errors.push({ nodeId: node.id, code: 'args_too_large', message: `The args are ${size} bytes; at most ${MAX_ARGS_BYTES} are allowed` });
      continue;
    }
    const templated = new Set(findTemplates(args, rawArgNames(registered.definition.args)).map((site) => pointer(site.path)));
    const copy = structuredClone(args);
    if (!registered.validateArgs(copy)) {
      const details = argErrors(registered.validateArgs.errors, templated);
      if (details.length) errors.push({ nodeId: node.id, code: 'invalid_args', message: `The args of ${node.data?.label ?? node.id} are invalid`, details });
    }
    const credentialId = node.data?.credentialId;
    const wanted = registered.definition.credential;
    if (credentialId) {
      const credential = context.credentials.get(credentialId);
      if (!credential) errors.push({ nodeId: node.id, code: 'credential_not_found', message: "The credential does not exist, or belongs to another group than the pipeline's" });
      else if (wanted && wanted.type !== '*' && credential.type !== wanted.type) {
        errors.push({ nodeId: node.id, code: 'credential_type_mismatch', message: `The node needs a ${wanted.type} credential, not ${credential.type}` });
      }
    } else if (wanted?.required && !context.defaults?.has(wanted.type)) {
      errors.push({ nodeId: node.id, code: 'credential_required', message: `The node needs a ${wanted.type} credential, and the org has no default one` });
    }
  }

  const edgeIds = new Set<string>();
  const connectedInputs = new Map<string, Set<string>>();
  for (const edge of graph.edges) {
    if (edgeIds.has(edge.id)) errors.push({ edgeId: edge.id, code: 'duplicate_edge_id', message: `Two edges share the id "${edge.id}"` });
    edgeIds.add(edge.id);
    const source = nodes.get(edge.source);
    const target = nodes.get(edge.target);
    if (!source || !target) {
      errors.push({ edgeId: edge.id, code: 'dangling_edge', message: `The edge connects ${!source ? `a missing node "${edge.source}"` : `a missing node "${edge.target}"`}` });
      continue;
    }
    const sourceType = source.data?.version ? context.registry.get(source.type, source.data.version) : undefined;
    const targetType = target.data?.version ? context.registry.get(target.type, target.data.version) : undefined;
    if (sourceType) {
      const handles = outputHandles(sourceType.definition, source.data?.args);
      const handle = edge.sourceHandle ?? handles[0];
      if (!handle || !handles.includes(handle)) {
        errors.push({ edgeId: edge.id, nodeId: source.id, code: 'unknown_handle', message: `${source.type} has no output "${edge.sourceHandle}" (outputs: ${handles.join(', ')})` });
      }
    }
    if (targetType) {
      const inputs = targetType.definition.inputs ?? ['main'];
      const handle = edge.targetHandle ?? inputs[0];
      if (inputs.length === 0) {
        errors.push({ edgeId: edge.id, nodeId: target.id, code: 'unexpected_input', message: `${target.type} is an entry point and takes no input` });
      } else if (!handle || !inputs.includes(handle)) {
        errors.push({ edgeId: edge.id, nodeId: target.id, code: 'unknown_handle', message: `${target.type} has no input "${edge.targetHandle}" (inputs: ${inputs.join(', ')})` });
      } else {
        const connected = connectedInputs.get(target.id) ?? new Set();
        connected.add(handle);
        connectedInputs.set(target.id, connected);
      }
    }
  }

  for (const nodeId of topologicalOrder(graph).cyclic) {
    if (nodes.has(nodeId)) errors.push({ nodeId, code: 'cycle', message: 'The node is part of a cycle' });
  }

  for (const node of nodes.values()) {
    const registered = node.data?.version ? context.registry.get(node.type, node.data.version) : undefined;
    if (!registered) continue;
    const inputs = registered.definition.inputs ?? ['main'];
    const connected = connectedInputs.get(node.id) ?? new Set();
    // A node with no incoming edge is a root and receives the run input; one with some inputs
    // connected needs all of them.
    const missing = inputs.filter((input) => !connected.has(input));
    if (connected.size > 0 && missing.length) {
      errors.push({ nodeId: node.id, code: 'missing_input', message: `Input ${missing.map((input) => `"${input}"`).join(', ')} of ${node.data?.label ?? node.id} is not connected` });
    }
  }
  return errors;
}

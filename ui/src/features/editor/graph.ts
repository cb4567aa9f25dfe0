/**
 * The pipeline graph as stored (API.md: `{ nodes: [{ id, type, position, data }], edges }`) and
 * as @xyflow/react draws it: every flow node is of the flow type `piper`, and the Piper node
 * type travels in `data.nodeType`.
 */
import dagre from '@dagrejs/dagre';
import type { Edge, Node } from '@xyflow/react';
import type { Graph, GraphEdge, GraphNode, NodeSettings, NodeType } from '../../app/types.js';

export interface PiperNodeData extends Record<string, unknown> {
  nodeType: string;
  version?: string;
  args: Record<string, unknown>;
  credentialId?: string | null;
  label?: string;
  settings?: NodeSettings;
}

export type FlowNode = Node<PiperNodeData, 'piper'>;

/** The size of a node on the canvas (editor.css `.piper-node`). */
export const NODE_WIDTH = 200;
export const NODE_HEIGHT = 46;
export type FlowEdge = Edge;

export function toFlow(graph: Graph): { nodes: FlowNode[]; edges: FlowEdge[] } {
  return {
    nodes: graph.nodes.map((node) => ({
      id: node.id,
      type: 'piper',
      position: node.position ?? { x: 0, y: 0 },
      // The drawn size, known before the node is measured: a big pipeline fits the view at once.
      initialWidth: NODE_WIDTH,
      initialHeight: NODE_HEIGHT,
      data: {
        nodeType: node.type,
        version: node.data?.version,
        args: node.data?.args ?? {},
        ...(node.data?.credentialId ? { credentialId: node.data.credentialId } : {}),
        ...(node.data?.label ? { label: node.data.label } : {}),
        ...(node.data?.settings ? { settings: node.data.settings } : {}),
      },
    })),
    edges: graph.edges.map((edge) => ({
      id: edge.id,
      source: edge.source,
      target: edge.target,
      sourceHandle: edge.sourceHandle ?? null,
      targetHandle: edge.targetHandle ?? null,
    })),
  };
}

export function toGraph(nodes: FlowNode[], edges: FlowEdge[]): Graph {
  return {
    nodes: nodes.map(
      (node): GraphNode => ({
        id: node.id,
        type: node.data.nodeType,
        position: { x: Math.round(node.position.x), y: Math.round(node.position.y) },
        data: {
          ...(node.data.version ? { version: node.data.version } : {}),
          args: node.data.args ?? {},
          ...(node.data.credentialId ? { credentialId: node.data.credentialId } : {}),
          ...(node.data.label ? { label: node.data.label } : {}),
          ...(node.data.settings && Object.keys(node.data.settings).length ? { settings: node.data.settings } : {}),
        },
      }),
    ),
    edges: edges.map(
      (edge): GraphEdge => ({
        id: edge.id,
        source: edge.source,
        target: edge.target,
        ...(edge.sourceHandle ? { sourceHandle: edge.sourceHandle } : {}),
        ...(edge.targetHandle ? { targetHandle: edge.targetHandle } : {}),
      }),
    ),
  };
}

/** A node id from the type's last name part: `transform_3`, short and readable in `$nodes.transform_3`. */
export function newNodeId(type: string, taken: ReadonlySet<string>): string {
  const base = (type.split('.').pop() ?? 'node').replace(/[^A-Za-z0-9_]/g, '_') || 'node';
  for (let n = 1; ; n++) {
    const id = `${base}_${n}`;
    if (!taken.has(id)) return id;
  }
}

export function newEdgeId(source: string, sourceHandle: string | null | undefined, target: string, targetHandle: string | null | undefined): string {
  return `e_${source}${sourceHandle ? `.${sourceHandle}` : ''}__${target}${targetHandle ? `.${targetHandle}` : ''}`;
}

/** The default args of a node type: its schema's defaults, shallowly. */
export function defaultArgs(nodeType: NodeType): Record<string, unknown> {
  const properties = (nodeType.argsSchema.properties ?? {}) as Record<string, { default?: unknown }>;
  const args: Record<string, unknown> = {};
  for (const [key, property] of Object.entries(properties)) if (property && 'default' in property) args[key] = structuredClone(property.default);
  return args;
}

/** Output handles of a node: declared ones plus those named by its args (a switch's cases). */
export function outputsOf(nodeType: NodeType | undefined, args: Record<string, unknown>): string[] {
  if (!nodeType) return ['main'];
  const outputs = [...nodeType.outputs];
  const dynamic = nodeType.dynamicOutputs;
  if (dynamic) {
    const items = args[dynamic.arg];
    if (Array.isArray(items)) {
      for (const item of items) {
        const handle = item && typeof item === 'object' ? (item as Record<string, unknown>)[dynamic.key] : undefined;
        if (typeof handle === 'string' && handle && !outputs.includes(handle)) outputs.push(handle);
      }
    }
  }
  return outputs;
}

/** Left-to-right layout by dagre; node sizes are the drawn ones when measured. */
export function autoLayout(nodes: FlowNode[], edges: FlowEdge[]): FlowNode[] {
  const layout = new dagre.graphlib.Graph();
  layout.setGraph({ rankdir: 'LR', nodesep: 40, ranksep: 80 });
  layout.setDefaultEdgeLabel(() => ({}));
  for (const node of nodes) layout.setNode(node.id, { width: node.measured?.width ?? NODE_WIDTH, height: node.measured?.height ?? NODE_HEIGHT });
  for (const edge of edges) layout.setEdge(edge.source, edge.target);
  dagre.layout(layout);
  return nodes.map((node) => {
    const placed = layout.node(node.id);
    const width = node.measured?.width ?? NODE_WIDTH;
    const height = node.measured?.height ?? NODE_HEIGHT;
    return { ...node, position: { x: placed.x - width / 2, y: placed.y - height / 2 } };
  });
}

export interface Clipboard {
  nodes: FlowNode[];
  edges: FlowEdge[];
}

/** Copies of `clip` with fresh ids, shifted by `offset`, and edges only between copied nodes. */
export function pasteCopies(clip: Clipboard, taken: ReadonlySet<string>, offset: number): Clipboard {
  const ids = new Set(taken);
  const renamed = new Map<string, string>();
  const nodes = clip.nodes.map((node) => {
    const id = newNodeId(node.data.nodeType, ids);
    ids.add(id);
    renamed.set(node.id, id);
    return { ...node, id, selected: true, position: { x: node.position.x + offset, y: node.position.y + offset }, data: structuredClone(node.data) };
  });
  const edges = clip.edges
    .filter((edge) => renamed.has(edge.source) && renamed.has(edge.target))
    .map((edge) => {
      const source = renamed.get(edge.source)!;
      const target = renamed.get(edge.target)!;
      return { ...edge, id: newEdgeId(source, edge.sourceHandle, target, edge.targetHandle), source, target, selected: false };
    });
  return { nodes, edges };
}

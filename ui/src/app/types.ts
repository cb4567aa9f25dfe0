/** The API's objects as the UI reads them (see ../shared/design/API.md and /api/openapi.json). */

export type Role = 'admin' | 'manager' | 'client';

export interface User {
  id: string;
  email: string;
  name: string;
  role: Role;
  orgId: string;
  instanceAdmin: boolean;
  disabled: boolean;
  createdAt: string;
}

export interface Org {
  id: string;
  slug: string;
  name: string;
}

export interface Me {
  user: User | null;
  org: Org;
}

export interface Group {
  id: string;
  name: string;
  memberIds?: string[];
  members?: string[];
}

export type JsonSchema = Record<string, unknown>;

export interface NodeType {
  type: string;
  version: string;
  name: string;
  description?: string;
  category?: string;
  icon?: string;
  runtime: string;
  inputs: string[];
  outputs: string[];
  argsSchema: JsonSchema;
  uiSchema?: Record<string, unknown>;
  /** Outputs named by an arg (core.switch: its cases' handles). */
  dynamicOutputs?: { arg: string; key: string } | null;
  join?: 'all' | 'race';
  credential?: { type: string; required?: boolean } | null;
  plugin: { id: string; version: string; ui?: { remoteEntry: string; name: string } | null };
}

export interface Credential {
  id: string;
  name: string;
  type: string;
  data: Record<string, unknown>;
  groupId?: string | null;
  isDefault?: boolean;
  createdAt?: string;
  updatedAt?: string;
}

export interface NodeSettings {
  retry?: { maxAttempts?: number; backoffMs?: number; factor?: number };
  timeoutMs?: number;
  continueOnFail?: boolean;
}

export interface GraphNode {
  id: string;
  type: string;
  position: { x: number; y: number };
  data: { version?: string; args?: Record<string, unknown>; credentialId?: string | null; label?: string; settings?: NodeSettings };
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

export interface Pipeline {
  id: string;
  name: string;
  description: string | null;
  groupId: string;
  clientId: string | null;
  enabled: boolean;
  graph: Graph;
  latestVersion: number | null;
  nodeCount?: number;
  createdAt: string;
  updatedAt: string;
}

export interface GraphError {
  nodeId?: string;
  edgeId?: string;
  code: string;
  message: string;
}

export interface PipelineVersion {
  version: number;
  createdAt: string;
  graph?: Graph;
  createdBy?: string | null;
}

export type RunStatus = 'queued' | 'running' | 'succeeded' | 'failed' | 'canceled';
export type NodeStatus = 'pending' | 'queued' | 'running' | 'succeeded' | 'failed' | 'skipped' | 'canceled';

export interface RunSummary {
  id: string;
  pipelineId: string;
  pipelineName?: string;
  version: number | null;
  mode: 'test' | 'production';
  status: RunStatus;
  trigger: string;
  clientId: string | null;
  error: unknown;
  createdAt: string;
  startedAt: string | null;
  finishedAt: string | null;
  retryOf?: string | null;
}

export interface Attempt {
  attempt: number;
  status: NodeStatus | 'worker_lost';
  error: unknown;
  startedAt: string | null;
  finishedAt: string | null;
}

export interface Artifact {
  id: string;
  nodeId: string;
  attempt: number;
  name: string;
  contentType: string;
  size: number;
  createdAt: string;
}

export interface NodeRun {
  nodeId: string;
  status: NodeStatus;
  input: unknown;
  output: unknown;
  error: unknown;
  handle?: string | null;
  startedAt: string | null;
  finishedAt: string | null;
  attempts: Attempt[];
  artifacts: Artifact[];
}

export interface Run extends RunSummary {
  input: unknown;
  output: unknown;
  graph?: Graph;
  nodes: NodeRun[];
  /** The node types of the run's graph, with their plugins' UIs. */
  nodeTypes?: Array<Pick<NodeType, 'type' | 'version' | 'name' | 'plugin'>>;
}

export interface LogLine {
  id?: number;
  at: string;
  nodeId: string | null;
  attempt: number | null;
  stream: string;
  line: string;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

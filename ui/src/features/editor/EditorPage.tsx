import {
  addEdge,
  applyEdgeChanges,
  applyNodeChanges,
  Background,
  Controls,
  MiniMap,
  ReactFlow,
  ReactFlowProvider,
  useReactFlow,
  type Connection,
  type EdgeChange,
  type NodeChange,
} from '@xyflow/react';
import '@xyflow/react/dist/style.css';
import { lazy, Suspense, useCallback, useEffect, useMemo, useRef, useState, type DragEvent } from 'react';
import { Link, useParams } from 'react-router-dom';
import { ApiError, get, patch, post, put } from '../../app/api.js';
import type { Credential, Graph, GraphError, NodeType, Pipeline, PipelineVersion, User } from '../../app/types.js';
import { Async, hasMod, modKey, Spinner, useApi } from '../../app/ui.js';
import { usePluginUis, widgetsOf } from '../plugins/federation.js';
import { EditorContext, type EditorContextValue } from './context.js';
import { autoLayout, defaultArgs, newEdgeId, newNodeId, pasteCopies, toFlow, toGraph, type Clipboard, type FlowEdge, type FlowNode, type PiperNodeData } from './graph.js';
import { History, type Snapshot } from './history.js';
import { NodeStateStore } from './node-state.js';
import { compareVersions, DRAG_TYPE, Palette } from './Palette.js';
import { PipelinePanel } from './PipelinePanel.js';
import { PipelineNode } from './PipelineNode.js';
import { RunPanel, RunDialog, type RunRequest } from './RunPanel.js';
import './editor.css';

// The node form (rjsf and its validator) loads after the canvas has been drawn.
const loadNodePanel = () => import('./NodePanel.js');
const NodePanel = lazy(() => loadNodePanel().then((module) => ({ default: module.NodePanel })));

const FLOW_NODE_TYPES = { piper: PipelineNode };
// Props of the canvas are constants or stable callbacks: a new value on every render would update
// the canvas store and re-run every node's selectors, which a 500-node pipeline feels.
const DELETE_KEYS = ['Delete', 'Backspace'];
const MULTI_SELECT_KEYS = ['Meta', 'Control', 'Shift'];
const FIT_VIEW = { maxZoom: 1 };
/** From this many nodes the canvas draws only what is in view, and opens on the pipeline's start. */
const LARGE_PIPELINE = 150;
const PRO_OPTIONS = { hideAttribution: true };
const MINIMAP_STYLE = { width: 150, height: 100 };
const isValidConnection = (connection: FlowEdge | Connection) => connection.source !== connection.target;

/** /manager/pipelines/:id — the pipeline editor. */
export default function EditorPage() {
  const { id } = useParams();
  const pipeline = useApi<Pipeline>(`/api/pipelines/${id}`);
  const nodeTypes = useApi<NodeType[]>('/api/node-types');
  return (
    <Async state={pipeline}>
      {(loaded) => (
        <Async state={nodeTypes}>
          {(types) => (
            <ReactFlowProvider>
              <Editor key={loaded.id} pipeline={loaded} nodeTypes={types} onPipelineChange={pipeline.set} />
            </ReactFlowProvider>
          )}
        </Async>
      )}
    </Async>
  );
}

interface EditorProps {
  pipeline: Pipeline;
  nodeTypes: NodeType[];
  onPipelineChange(pipeline: Pipeline): void;
}

function isTyping(target: EventTarget | null): boolean {
  const element = target as HTMLElement | null;
  return !!element && (element.isContentEditable || ['INPUT', 'TEXTAREA', 'SELECT'].includes(element.tagName));
}

function Editor({ pipeline, nodeTypes, onPipelineChange }: EditorProps) {
  const flow = useReactFlow<FlowNode, FlowEdge>();
  // The editor is keyed by the pipeline: its first graph is the starting point, later ones come from saves.
  const [initial] = useState(() => toFlow(pipeline.graph));
  const [nodes, setNodes] = useState<FlowNode[]>(initial.nodes);
  const [edges, setEdges] = useState<FlowEdge[]>(initial.edges);
  const [savedGraph, setSavedGraph] = useState(() => JSON.stringify(toGraph(initial.nodes, initial.edges)));
  const [saving, setSaving] = useState(false);
  const [message, setMessage] = useState<{ kind: 'ok' | 'error'; text: string; error?: Error }>();
  const [generalErrors, setGeneralErrors] = useState<GraphError[]>([]);
  const [valid, setValid] = useState<boolean>();
  const [viewing, setViewing] = useState<{ version: number; nodes: FlowNode[]; edges: FlowEdge[] } | null>(null);
  const [runId, setRunId] = useState<string | null>(null);
  const [runDialog, setRunDialog] = useState<'test' | 'production' | null>(null);
  const [panel, setPanel] = useState<'node' | 'pipeline'>('pipeline');
  const [, forceRender] = useState(0);
  const versions = useApi<PipelineVersion[]>(`/api/pipelines/${pipeline.id}/versions`);
  const credentials = useApi<Credential[]>('/api/credentials');
  const users = useApi<User[]>('/api/users');
  const clients = useMemo(() => (users.data ?? []).filter((user) => user.role === 'client'), [users.data]);

  const history = useRef(new History()).current;
  const store = useRef(new NodeStateStore()).current;
  const clipboard = useRef<Clipboard | null>(null);
  const pasteCount = useRef(0);
  const state = useRef<Snapshot>({ nodes, edges });
  state.current = { nodes, edges };

  // A big pipeline opens on its start at a readable zoom (Fit view shows all of it): drawing
  // hundreds of unreadable nodes at once would only make the editor slow to open.
  const [initialView] = useState(() => {
    if (initial.nodes.length <= LARGE_PIPELINE) return FIT_VIEW;
    const start = [...initial.nodes].sort((a, b) => a.position.x - b.position.x || a.position.y - b.position.y).slice(0, 40);
    return { ...FIT_VIEW, minZoom: 0.5, nodes: start.map((node) => ({ id: node.id })) };
  });

  const readOnly = viewing !== null;
  const shownNodes = viewing ? viewing.nodes : nodes;
  const shownEdges = viewing ? viewing.edges : edges;

  const typeIndex = useMemo(() => {
    const index = new Map<string, NodeType[]>();
    for (const nodeType of nodeTypes) index.set(nodeType.type, [...(index.get(nodeType.type) ?? []), nodeType]);
    for (const list of index.values()) list.sort((a, b) => compareVersions(b.version, a.version));
    return index;
  }, [nodeTypes]);
  const nodeTypeOf = useCallback(
    (type: string, version?: string) => {
      const list = typeIndex.get(type);
      return version ? list?.find((candidate) => candidate.version === version) : list?.[0];
    },
    [typeIndex],
  );
  const context = useMemo<EditorContextValue>(() => ({ store, nodeTypeOf }), [store, nodeTypeOf]);

  const selectedNodes = shownNodes.filter((node) => node.selected);
  const selected = selectedNodes.length === 1 ? selectedNodes[0] : undefined;
  const selectedType = selected ? nodeTypeOf(selected.data.nodeType, selected.data.version) : undefined;
  // A plugin's UI loads when one of its nodes is opened, not with the editor.
  const plugins = usePluginUis(selectedType ? [{ pluginId: selectedType.plugin.id, ui: selectedType.plugin.ui }] : []);
  const pluginWidgets = useMemo(() => widgetsOf(plugins.uis), [plugins.uis]);

  const graph = useMemo(() => toGraph(nodes, edges), [nodes, edges]);
  const dirty = JSON.stringify(graph) !== savedGraph;

  /** Applies a change to the draft, recorded for undo. */
  const change = useCallback(
    (next: Partial<Snapshot>, key?: string) => {
      history.record(state.current, key);
      if (next.nodes) setNodes(next.nodes);
      if (next.edges) setEdges(next.edges);
      // Problems of the whole graph are found again at the next save.
      setValid(undefined);
      setGeneralErrors([]);
      forceRender((n) => n + 1);
    },
    [history],
  );

  const restore = useCallback((snapshot: Snapshot | undefined) => {
    if (!snapshot) return;
    setNodes(snapshot.nodes);
    setEdges(snapshot.edges);
    forceRender((n) => n + 1);
  }, []);
  const undo = useCallback(() => restore(history.undo(state.current)), [history, restore]);
  const redo = useCallback(() => restore(history.redo(state.current)), [history, restore]);

  const onNodesChange = useCallback(
    (changes: NodeChange<FlowNode>[]) => {
      if (readOnly) {
        // Selection still works on a version being viewed.
        setViewing((shown) => shown && { ...shown, nodes: applyNodeChanges(changes.filter((item) => item.type === 'select' || item.type === 'dimensions'), shown.nodes) });
        return;
      }
      const structural = changes.some((item) => item.type === 'remove' || item.type === 'add' || item.type === 'replace');
      if (structural) history.record(state.current);
      setNodes((current) => applyNodeChanges(changes, current));
      if (structural) setValid(undefined);
    },
    [history, readOnly],
  );

  const onEdgesChange = useCallback(
    (changes: EdgeChange<FlowEdge>[]) => {
      if (readOnly) return;
      const structural = changes.some((item) => item.type !== 'select');
      if (structural) history.record(state.current);
      setEdges((current) => applyEdgeChanges(changes, current));
    },
    [history, readOnly],
  );

  const onNodeDragStart = useCallback(() => history.record(state.current), [history]);
  const showNodePanelOnClick = useCallback(() => setPanel('node'), []);
  const showPipelinePanel = useCallback(() => setPanel('pipeline'), []);

  const onConnect = useCallback(
    (connection: Connection) => {
      const id = newEdgeId(connection.source, connection.sourceHandle, connection.target, connection.targetHandle);
      if (state.current.edges.some((edge) => edge.id === id)) return;
      change({ edges: addEdge({ ...connection, id }, state.current.edges) });
    },
    [change],
  );

  const addNode = useCallback(
    (nodeType: NodeType, position?: { x: number; y: number }) => {
      const taken = new Set(state.current.nodes.map((node) => node.id));
      const id = newNodeId(nodeType.type, taken);
      let at = position;
      if (!at) {
        // Right of the rightmost node, or the middle of the view.
        const rightmost = state.current.nodes.reduce<FlowNode | undefined>((best, node) => (!best || node.position.x > best.position.x ? node : best), undefined);
        at = rightmost ? { x: rightmost.position.x + 260, y: rightmost.position.y } : flow.screenToFlowPosition({ x: window.innerWidth / 2, y: window.innerHeight / 2 });
      }
      const node: FlowNode = { id, type: 'piper', position: at, selected: true, data: { nodeType: nodeType.type, version: nodeType.version, args: defaultArgs(nodeType) } };
      change({ nodes: [...state.current.nodes.map((other) => (other.selected ? { ...other, selected: false } : other)), node] });
      setPanel('node');
    },
    [change, flow],
  );

  const onDrop = useCallback(
    (event: DragEvent) => {
      const payload = event.dataTransfer.getData(DRAG_TYPE);
      if (!payload || readOnly) return;
      event.preventDefault();
      const { type, version } = JSON.parse(payload) as { type: string; version: string };
      const nodeType = nodeTypeOf(type, version);
      if (nodeType) addNode(nodeType, flow.screenToFlowPosition({ x: event.clientX - 90, y: event.clientY - 24 }));
    },
    [addNode, flow, nodeTypeOf, readOnly],
  );

  const updateNodeData = useCallback(
    (nodeId: string, patchData: Partial<PiperNodeData>, key: string) => {
      change({ nodes: state.current.nodes.map((node) => (node.id === nodeId ? { ...node, data: { ...node.data, ...patchData } } : node)) }, key);
    },
    [change],
  );

  const deleteSelected = useCallback(() => {
    const doomed = new Set(state.current.nodes.filter((node) => node.selected).map((node) => node.id));
    const edgesLeft = state.current.edges.filter((edge) => !edge.selected && !doomed.has(edge.source) && !doomed.has(edge.target));
    if (doomed.size === 0 && edgesLeft.length === state.current.edges.length) return;
    change({ nodes: state.current.nodes.filter((node) => !doomed.has(node.id)), edges: edgesLeft });
  }, [change]);

  const copy = useCallback(() => {
    const source = viewing ?? state.current;
    const selected = source.nodes.filter((node) => node.selected);
    if (selected.length === 0) return false;
    const ids = new Set(selected.map((node) => node.id));
    clipboard.current = { nodes: structuredClone(selected), edges: source.edges.filter((edge) => ids.has(edge.source) && ids.has(edge.target)) };
    pasteCount.current = 0;
    setMessage({ kind: 'ok', text: `Copied ${selected.length} node${selected.length === 1 ? '' : 's'}` });
    return true;
  }, [viewing]);

  const paste = useCallback(() => {
    if (!clipboard.current || readOnly) return;
    pasteCount.current += 1;
    const copies = pasteCopies(clipboard.current, new Set(state.current.nodes.map((node) => node.id)), 40 * pasteCount.current);
    change({
      nodes: [...state.current.nodes.map((node) => (node.selected ? { ...node, selected: false } : node)), ...copies.nodes],
      edges: [...state.current.edges.map((edge) => (edge.selected ? { ...edge, selected: false } : edge)), ...copies.edges],
    });
  }, [change, readOnly]);

  const save = useCallback(async (): Promise<boolean> => {
    if (readOnly) return false;
    setSaving(true);
    setMessage(undefined);
    const toSave = toGraph(state.current.nodes, state.current.edges);
    try {
      const saved = await put<Pipeline>(`/api/pipelines/${pipeline.id}/graph`, { graph: toSave });
      setSavedGraph(JSON.stringify(toGraph(state.current.nodes, state.current.edges)));
      // Versions the server pinned on save come back in the saved graph.
      pinVersions(saved.graph);
      onPipelineChange({ ...pipeline, ...saved });
      await validate();
      return true;
    } catch (error) {
      const errors = error instanceof ApiError ? ((error.details as { errors?: GraphError[] } | undefined)?.errors ?? []) : [];
      setGeneralErrors(store.setErrors(errors));
      setMessage({ kind: 'error', text: 'The draft was not saved', error: error as Error });
      return false;
    } finally {
      setSaving(false);
    }
  }, [pipeline, readOnly]);

  function pinVersions(saved: Graph) {
    const pinned = new Map(saved.nodes.map((node) => [node.id, node.data?.version]));
    setNodes((current) => current.map((node) => (!node.data.version && pinned.get(node.id) ? { ...node, data: { ...node.data, version: pinned.get(node.id) } } : node)));
  }

  async function validate(): Promise<boolean> {
    const result = await post<{ valid: boolean; errors: GraphError[] }>(`/api/pipelines/${pipeline.id}/validate`);
    setGeneralErrors(store.setErrors(result.errors));
    setValid(result.valid);
    return result.valid;
  }

  const publish = async () => {
    if (dirty && !(await save())) return;
    setMessage(undefined);
    try {
      const { version } = await post<{ version: number }>(`/api/pipelines/${pipeline.id}/versions`);
      versions.reload();
      onPipelineChange({ ...pipeline, latestVersion: version });
      setMessage({ kind: 'ok', text: `Published version ${version}` });
    } catch (error) {
      const errors = error instanceof ApiError ? ((error.details as { errors?: GraphError[] } | undefined)?.errors ?? []) : [];
      setGeneralErrors(store.setErrors(errors));
      setMessage({ kind: 'error', text: 'Not published', error: error as Error });
    }
  };

  const startRun = async (request: RunRequest): Promise<void> => {
    if (request.mode === 'test' && dirty && !(await save())) throw new Error('Save the draft first: it has problems.');
    const { id } = await post<{ id: string }>(`/api/pipelines/${pipeline.id}/runs`, request);
    store.clearStatuses();
    setRunId(id);
    setRunDialog(null);
  };

  const openVersion = async (version: number | null) => {
    if (version === null) {
      setViewing(null);
      return;
    }
    try {
      const loaded = await get<PipelineVersion & { graph: Graph }>(`/api/pipelines/${pipeline.id}/versions/${version}`);
      setViewing({ version, ...toFlow(loaded.graph) });
      setPanel('pipeline');
    } catch (error) {
      setMessage({ kind: 'error', text: `Version ${version} could not be opened`, error: error as Error });
    }
  };

  const restoreVersion = () => {
    if (!viewing) return;
    change({ nodes: viewing.nodes.map((node) => ({ ...node, selected: false })), edges: viewing.edges });
    setMessage({ kind: 'ok', text: `The draft now holds version ${viewing.version}; save to keep it.` });
    setViewing(null);
  };

  const layout = () => {
    const source = state.current;
    change({ nodes: autoLayout(source.nodes, source.edges) });
    requestAnimationFrame(() => void flow.fitView({ duration: 200, maxZoom: 1 }));
  };

  // Keyboard shortcuts: Cmd on macOS, Ctrl elsewhere.
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if (!hasMod(event)) return;
      const key = event.key.toLowerCase();
      if (key === 's') {
        event.preventDefault();
        void save();
        return;
      }
      if (isTyping(event.target)) return;
      if (key === 'z' && !event.shiftKey) {
        event.preventDefault();
        undo();
      } else if ((key === 'z' && event.shiftKey) || key === 'y') {
        event.preventDefault();
        redo();
      } else if (key === 'c') {
        if (copy()) event.preventDefault();
      } else if (key === 'x') {
        if (copy()) {
          event.preventDefault();
          deleteSelected();
        }
      } else if (key === 'v') {
        event.preventDefault();
        paste();
      } else if (key === 'a') {
        event.preventDefault();
        if (!readOnly) setNodes((current) => current.map((node) => ({ ...node, selected: true })));
      } else if (key === 'enter') {
        event.preventDefault();
        setRunDialog('test');
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [copy, deleteSelected, paste, readOnly, redo, save, undo]);

  // Leaving with unsaved changes asks first.
  useEffect(() => {
    if (!dirty) return;
    const onLeave = (event: BeforeUnloadEvent) => event.preventDefault();
    window.addEventListener('beforeunload', onLeave);
    return () => window.removeEventListener('beforeunload', onLeave);
  }, [dirty]);

  // Validation on open, so problems show at once (a new, empty pipeline has only the canvas hint);
  // then the node form's code, before the first click on a node.
  useEffect(() => {
    if (state.current.nodes.length > 0) void validate().catch(() => undefined);
    const idle = setTimeout(() => void loadNodePanel(), 300);
    return () => clearTimeout(idle);
  }, []);

  // Edges named by validation errors are drawn red with the message; errors change with generalErrors.
  const shownEdgesWithErrors = useMemo(
    () =>
      shownEdges.map((edge) => {
        const errors = store.edgeErrorsOf(edge.id);
        return errors ? { ...edge, className: 'invalid', label: errors[0]!.message } : edge;
      }),
    [shownEdges, store, generalErrors],
  );

  const showNodePanel = panel === 'node' && selected;

  return (
    <EditorContext.Provider value={context}>
      <div className="editor">
        <div className="editor-toolbar">
          <Link to="/manager" className="muted" title="All pipelines">
            ← Pipelines
          </Link>
          <strong className="pipeline-name">{pipeline.name}</strong>
          <span className={`badge ${dirty ? 'status-queued' : 'status-succeeded'}`}>{readOnly ? `viewing v${viewing.version}` : dirty ? 'unsaved changes' : 'saved'}</span>
          {valid === false && !dirty && <span className="badge status-failed">has problems</span>}
          <span className="spacer" />
          <button type="button" className="secondary small" onClick={undo} disabled={readOnly || !history.canUndo} title={`Undo (${modKey}+Z)`}>
            Undo
          </button>
          <button type="button" className="secondary small" onClick={redo} disabled={readOnly || !history.canRedo} title={`Redo (${modKey}+Shift+Z)`}>
            Redo
          </button>
          <button type="button" className="secondary small" onClick={layout} disabled={readOnly || nodes.length === 0} title="Arrange the nodes left to right">
            Auto-layout
          </button>
          <VersionPicker versions={versions.data ?? []} viewing={viewing?.version ?? null} onOpen={openVersion} />
          {readOnly ? (
            <button type="button" className="secondary small" onClick={restoreVersion}>
              Restore into draft
            </button>
          ) : (
            <>
              <button type="button" className="secondary" onClick={() => void save()} disabled={saving || !dirty} title={`Save the draft (${modKey}+S)`}>
                {saving ? 'Saving…' : 'Save'}
              </button>
              <button type="button" className="secondary" onClick={() => void publish()} disabled={saving || nodes.length === 0}>
                Publish
              </button>
              <button type="button" onClick={() => setRunDialog('test')} disabled={nodes.length === 0} title={`Run the draft as a test (${modKey}+Enter)`}>
                ▶ Play
              </button>
            </>
          )}
          <button type="button" className="secondary" onClick={() => setRunDialog('production')} disabled={!pipeline.latestVersion} title={pipeline.latestVersion ? 'Run a published version' : 'Publish a version first'}>
            Run published
          </button>
        </div>
        {(message || generalErrors.length > 0 || plugins.errors.length > 0) && (
          <div className="editor-messages">
            {message?.kind === 'ok' && <span className="ok">{message.text}</span>}
            {message?.kind === 'error' && (
              <div className="error-box" role="alert">
                <strong>{message.text}: </strong>
                {message.error?.message}
              </div>
            )}
            {generalErrors.map((error, index) => (
              <div key={index} className="error-box" role="alert">
                {error.message}
              </div>
            ))}
            {plugins.errors.map((text) => (
              <div key={text} className="error-box">
                {text}
              </div>
            ))}
          </div>
        )}
        <div className="editor-body">
          {!readOnly && <Palette nodeTypes={nodeTypes} onAdd={(nodeType) => addNode(nodeType)} />}
          <div className="canvas" onDragOver={(event) => event.dataTransfer.types.includes(DRAG_TYPE) && event.preventDefault()} onDrop={onDrop}>
            <ReactFlow<FlowNode, FlowEdge>
              nodes={shownNodes}
              edges={shownEdgesWithErrors}
              nodeTypes={FLOW_NODE_TYPES}
              onNodesChange={onNodesChange}
              onEdgesChange={onEdgesChange}
              onConnect={onConnect}
              onNodeDragStart={onNodeDragStart}
              onNodeClick={showNodePanelOnClick}
              onPaneClick={showPipelinePanel}
              isValidConnection={isValidConnection}
              nodesDraggable={!readOnly}
              nodesConnectable={!readOnly}
              deleteKeyCode={readOnly ? null : DELETE_KEYS}
              multiSelectionKeyCode={MULTI_SELECT_KEYS}
              selectionKeyCode="Shift"
              fitView
              fitViewOptions={initialView}
              minZoom={0.05}
              onlyRenderVisibleElements={shownNodes.length > LARGE_PIPELINE}
              proOptions={PRO_OPTIONS}
            >
              <Background gap={20} />
              <Controls showInteractive={false} />
              <MiniMap pannable zoomable nodeStrokeWidth={3} style={MINIMAP_STYLE} />
            </ReactFlow>
            {shownNodes.length === 0 && <div className="canvas-hint">Drag a node from the palette, or click one, to start. A pipeline begins with a trigger such as “Manual”.</div>}
          </div>
          <aside className="side-panel" aria-label={showNodePanel ? 'Node' : 'Pipeline'}>
            {showNodePanel ? (
              <Suspense fallback={<Spinner label="Loading the form…" />}>
                <NodePanel
                  key={selected.id}
                  nodeId={selected.id}
                  data={selected.data}
                  nodeType={selectedType}
                  versions={typeIndex.get(selected.data.nodeType) ?? []}
                  credentials={credentials.data ?? []}
                  errors={store.get(selected.id).errors ?? []}
                  pluginWidgets={pluginWidgets}
                  pluginsLoading={plugins.loading}
                  readOnly={readOnly}
                  onChange={(patchData, key) => updateNodeData(selected.id, patchData, key)}
                  onDelete={deleteSelected}
                />
              </Suspense>
            ) : (
              <PipelinePanel
                pipeline={pipeline}
                clients={clients}
                versions={versions}
                selectedCount={selectedNodes.length}
                onChange={async (changes) => onPipelineChange({ ...pipeline, ...(await patch<Pipeline>(`/api/pipelines/${pipeline.id}`, changes)) })}
              />
            )}
          </aside>
        </div>
        {runId && <RunPanel runId={runId} store={store} nodeTypeOf={nodeTypeOf} graphNodes={nodes} onClose={() => (setRunId(null), store.clearStatuses())} onRetried={setRunId} />}
        {runDialog && (
          <RunDialog
            mode={runDialog}
            pipeline={pipeline}
            versions={versions.data ?? []}
            clients={clients}
            onClose={() => setRunDialog(null)}
            onRun={startRun}
          />
        )}
      </div>
    </EditorContext.Provider>
  );
}

function VersionPicker({ versions, viewing, onOpen }: { versions: PipelineVersion[]; viewing: number | null; onOpen(version: number | null): void }) {
  if (versions.length === 0) return null;
  return (
    <select aria-label="Version" className="small" value={viewing ?? ''} onChange={(event) => onOpen(event.target.value ? Number(event.target.value) : null)}>
      <option value="">Draft</option>
      {versions.map((version) => (
        <option key={version.version} value={version.version}>
          v{version.version} · {new Date(version.createdAt).toLocaleDateString()}
        </option>
      ))}
    </select>
  );
}


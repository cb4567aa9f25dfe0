/**
 * A run's result for people: tables for rows, text for text, a tree for other JSON, images
 * inline and every file as a download. A plugin that ships a viewer for the node type that
 * produced the result gets to render it; the built-in rendering takes over when it fails.
 */
import { Component, useEffect, useMemo, useState, type ComponentType, type ReactNode } from 'react';
import { blobUrl, download } from '../../app/api.js';
import { JsonTree } from '../../app/JsonTree.js';
import type { Artifact, Run } from '../../app/types.js';
import { ErrorBox, formatBytes, useAction } from '../../app/ui.js';
import { usePluginUis } from '../plugins/federation.js';
import './runs.css';

const TABLE_PAGE = 200;
/** Text longer than this, or with more lines, scrolls in its own box. */
const SHORT_TEXT = 300;

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type PlainObject = Record<string, unknown>;

const isPlainObject = (value: unknown): value is PlainObject => typeof value === 'object' && value !== null && !Array.isArray(value);
const isScalar = (value: unknown) => value === null || ['string', 'number', 'boolean'].includes(typeof value);

/** An array of objects: worth a table. */
export function isRowList(value: unknown): value is PlainObject[] {
  return Array.isArray(value) && value.length > 0 && value.every(isPlainObject);
}

/** What `ctx.files.write` returns, as nodes put it in their outputs. */
function isArtifactRef(value: unknown): value is { id: string; name: string; contentType: string; size: number } {
  return isPlainObject(value) && typeof value.id === 'string' && typeof value.name === 'string' && typeof value.contentType === 'string' && typeof value.size === 'number';
}

/** Where values are found: the run (for downloads of the files they name). */
interface ValueContext {
  runId?: string;
  artifacts?: Artifact[];
}

/** A value rendered for reading, with the raw JSON one click away for anything structured. */
export function ValueView({ value, runId, artifacts, empty = 'No value' }: { value: unknown; empty?: ReactNode } & ValueContext) {
  const [raw, setRaw] = useState(false);
  if (value === undefined || value === null) return <p className="muted value-empty">{empty}</p>;
  if (typeof value !== 'object') return <ScalarView value={value} />;
  if (Object.keys(value).length === 0) return <span className="muted">{Array.isArray(value) ? '(empty list)' : '(empty object)'}</span>;
  return (
    <div className="value-view">
      <div className="view-switch" role="group" aria-label="Display">
        <button type="button" className={`small ${raw ? 'secondary' : ''}`} aria-pressed={!raw} onClick={() => setRaw(false)}>
          Formatted
        </button>
        <button type="button" className={`small ${raw ? '' : 'secondary'}`} aria-pressed={raw} onClick={() => setRaw(true)}>
          Raw JSON
        </button>
      </div>
      {raw ? <RawJson value={value} /> : <FormattedValue value={value} runId={runId} artifacts={artifacts} />}
    </div>
  );
}

function ScalarView({ value }: { value: unknown }) {
  if (typeof value === 'string') return <TextView text={value} />;
  return <span className="mono scalar-value">{String(value)}</span>;
}

/** Text with its newlines; long text scrolls instead of stretching the page. */
export function TextView({ text }: { text: string }) {
  const long = text.length > SHORT_TEXT || text.split('\n').length > 12;
  if (text === '') return <span className="muted">(empty text)</span>;
  return <pre className={`text-value${long ? ' long' : ''}`}>{text}</pre>;
}

export function RawJson({ value }: { value: unknown }) {
  const text = useMemo(() => JSON.stringify(value, null, 2) ?? 'undefined', [value]);
  const [copied, setCopied] = useState(false);
  return (
    <div className="raw-json">
      <button
        type="button"
        className="secondary small copy"
        onClick={() => {
          void navigator.clipboard?.writeText(text).then(() => {
            setCopied(true);
            setTimeout(() => setCopied(false), 1500);
          });
        }}
      >
        {copied ? 'Copied' : 'Copy'}
      </button>
      <pre className="text-value long">{text}</pre>
    </div>
  );
}

function FormattedValue({ value, runId, artifacts }: { value: unknown } & ValueContext) {
  if (isRowList(value)) return <TableView rows={value} />;
  if (Array.isArray(value)) {
    if (value.length === 0) return <span className="muted">(empty list)</span>;
    if (value.every(isScalar)) return <TableView rows={value.map((item) => ({ value: item }))} />;
    return <JsonTree value={value} />;
  }
  if (!isPlainObject(value)) return <JsonTree value={value} />;
  if (isArtifactRef(value)) return <FileRef file={value} runId={runId} artifacts={artifacts} />;
  const entries = Object.entries(value);
  if (entries.length === 0) return <span className="muted">(empty object)</span>;
  // Shapes nodes commonly return ({ rows, total }, { text, rowCount }, { file, rowCount }): the main part large, the rest as facts.
  const main = entries.find(([key, item]) => (key === 'rows' || key === 'items' || key === 'records') && isRowList(item)) ?? entries.find(([key, item]) => key === 'text' && typeof item === 'string');
  const simple = entries.every(([, item]) => isScalar(item) || isArtifactRef(item));
  if (!main && !simple) return <JsonTree value={value} />;
  const rest = entries.filter((entry) => entry !== main);
  return (
    <div className="stack shaped-value">
      {rest.length > 0 && (
        <dl className="facts value-facts">
          {rest.map(([key, item]) => (
            <FactRow key={key} name={key} value={item} runId={runId} artifacts={artifacts} />
          ))}
        </dl>
      )}
      {main && (isRowList(main[1]) ? <TableView rows={main[1]} caption={main[0]} /> : <TextView text={main[1] as string} />)}
    </div>
  );
}

function FactRow({ name, value, runId, artifacts }: { name: string; value: unknown } & ValueContext) {
  return (
    <>
      <dt>{name}</dt>
      <dd>{isArtifactRef(value) ? <FileRef file={value} runId={runId} artifacts={artifacts} /> : isScalar(value) ? <ScalarView value={value} /> : <JsonTree value={value} openDepth={1} />}</dd>
    </>
  );
}

/** A file named in an output: a download when it is one of this run's artifacts. */
function FileRef({ file, runId, artifacts }: { file: { id: string; name: string; contentType: string; size: number } } & ValueContext) {
  const known = artifacts?.find((artifact) => artifact.id === file.id);
  if (!runId || (artifacts && !known)) {
    return (
      <span>
        {file.name} <span className="muted">({file.contentType}, {formatBytes(file.size)})</span>
      </span>
    );
  }
  return <DownloadButton runId={runId} artifact={{ id: file.id, name: file.name, contentType: file.contentType, size: file.size }} />;
}

function compactJson(value: unknown): string {
  const text = JSON.stringify(value);
  return text.length > 200 ? `${text.slice(0, 197)}…` : text;
}

/** Rows as a table: the union of their keys as columns, a page of 200 rows at a time. */
export function TableView({ rows, caption }: { rows: PlainObject[]; caption?: string }) {
  const [page, setPage] = useState(0);
  const columns = useMemo(() => {
    const keys = new Set<string>();
    for (const row of rows) for (const key of Object.keys(row)) keys.add(key);
    return [...keys];
  }, [rows]);
  const pages = Math.ceil(rows.length / TABLE_PAGE);
  const current = Math.min(page, pages - 1);
  const start = current * TABLE_PAGE;
  const visible = rows.slice(start, start + TABLE_PAGE);
  return (
    <div className="table-view">
      <div className="row table-view-bar">
        <span className="muted">
          {caption ? `${caption}: ` : ''}
          {rows.length} row{rows.length === 1 ? '' : 's'}, {columns.length} column{columns.length === 1 ? '' : 's'}
        </span>
        {pages > 1 && (
          <>
            <span className="spacer" />
            <button type="button" className="secondary small" disabled={current === 0} onClick={() => setPage(current - 1)}>
              Previous rows
            </button>
            <span className="muted">
              {start + 1}–{start + visible.length} of {rows.length}
            </span>
            <button type="button" className="secondary small" disabled={current >= pages - 1} onClick={() => setPage(current + 1)}>
              Next rows
            </button>
          </>
        )}
      </div>
      <div className="table-scroll">
        <table className="table data-table">
          <thead>
            <tr>
              <th className="index">#</th>
              {columns.map((column) => (
                <th key={column} scope="col">
                  {column}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {visible.map((row, index) => (
              <tr key={start + index}>
                <td className="index">{start + index + 1}</td>
                {columns.map((column) => (
                  <Cell key={column} value={row[column]} />
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </div>
  );
}

function Cell({ value }: { value: unknown }) {
  if (value === undefined || value === null) return <td className="muted">—</td>;
  if (typeof value === 'number') return <td className="number">{value}</td>;
  if (typeof value === 'object') {
    const text = JSON.stringify(value);
    return (
      <td className="mono" title={text.length > 200 ? text.slice(0, 2000) : undefined}>
        {compactJson(value)}
      </td>
    );
  }
  return <td>{String(value)}</td>;
}

export function DownloadButton({ runId, artifact }: { runId: string; artifact: Pick<Artifact, 'id' | 'name' | 'contentType' | 'size'> }) {
  const action = useAction(() => download(`/api/runs/${runId}/artifacts/${artifact.id}`, artifact.name));
  return (
    <span className="download">
      <button type="button" className="link" disabled={action.busy} onClick={() => void action.run()} title={`Download ${artifact.name}`}>
        ⤓ {artifact.name}
      </button>{' '}
      <span className="muted">
        {formatBytes(artifact.size)} · {artifact.contentType}
      </span>
      {action.error && <span className="download-error"> {action.error.message}</span>}
    </span>
  );
}

/** Every file of a run (or of a node) as a download, with its size and type. */
export function ArtifactList({ runId, artifacts, nodeLabel }: { runId: string; artifacts: Artifact[]; nodeLabel?: (nodeId: string) => string }) {
  if (artifacts.length === 0) return <p className="muted">No files.</p>;
  return (
    <table className="table artifact-list">
      <thead>
        <tr>
          <th scope="col">File</th>
          <th scope="col">Type</th>
          <th scope="col">Size</th>
          {nodeLabel && <th scope="col">Made by</th>}
        </tr>
      </thead>
      <tbody>
        {artifacts.map((artifact) => (
          <ArtifactRow key={artifact.id} runId={runId} artifact={artifact} nodeLabel={nodeLabel} />
        ))}
      </tbody>
    </table>
  );
}

function ArtifactRow({ runId, artifact, nodeLabel }: { runId: string; artifact: Artifact; nodeLabel?: (nodeId: string) => string }) {
  const action = useAction(() => download(`/api/runs/${runId}/artifacts/${artifact.id}`, artifact.name));
  return (
    <tr>
      <td>
        <button type="button" className="link" disabled={action.busy} onClick={() => void action.run()} aria-label={`Download ${artifact.name}`}>
          ⤓ {artifact.name}
        </button>
        {action.error && <div className="download-error">{action.error.message}</div>}
      </td>
      <td className="muted">{artifact.contentType}</td>
      <td>{formatBytes(artifact.size)}</td>
      {nodeLabel && <td className="muted">{nodeLabel(artifact.nodeId)}</td>}
    </tr>
  );
}

const isImage = (artifact: Artifact) => artifact.contentType.startsWith('image/');

/** An image file of the run, loaded behind the bearer token. */
export function ArtifactImage({ runId, artifact }: { runId: string; artifact: Artifact }) {
  const [url, setUrl] = useState<string>();
  const [error, setError] = useState<Error>();
  useEffect(() => {
    let active = true;
    let made: string | undefined;
    blobUrl(`/api/runs/${runId}/artifacts/${artifact.id}`)
      .then((objectUrl) => {
        made = objectUrl;
        if (active) setUrl(objectUrl);
        else URL.revokeObjectURL(objectUrl);
      })
      .catch((caught: Error) => active && setError(caught));
    return () => {
      active = false;
      if (made) URL.revokeObjectURL(made);
    };
  }, [runId, artifact.id]);
  return (
    <figure className="artifact-image">
      {error ? <ErrorBox error={error} /> : url ? <img src={url} alt={artifact.name} /> : <div className="muted image-placeholder">Loading {artifact.name}…</div>}
      <figcaption>{artifact.name}</figcaption>
    </figure>
  );
}

/** Images inline, then every file as a download. */
export function FilesView({ runId, artifacts, nodeLabel }: { runId: string; artifacts: Artifact[]; nodeLabel?: (nodeId: string) => string }) {
  const images = artifacts.filter(isImage);
  return (
    <div className="stack">
      {images.length > 0 && (
        <div className="artifact-images">
          {images.map((artifact) => (
            <ArtifactImage key={artifact.id} runId={runId} artifact={artifact} />
          ))}
        </div>
      )}
      <ArtifactList runId={runId} artifacts={artifacts} nodeLabel={nodeLabel} />
    </div>
  );
}

/** The plugin viewers of the given graph node types, keyed by node type. */
export function useViewers(run: Run, nodeTypes: string[]): { viewers: Map<string, ComponentType<{ value: unknown }>>; errors: string[] } {
  // The run names the node types of its graph with their plugins' UIs, for every role that reads it.
  const known = run.nodeTypes ?? [];
  const wanted = new Set(nodeTypes);
  const refs = known.filter((type) => wanted.has(type.type) && type.plugin?.ui).map((type) => ({ pluginId: type.plugin.id, ui: type.plugin.ui }));
  const { uis, errors } = usePluginUis(refs);
  const viewers = new Map<string, ComponentType<{ value: unknown }>>();
  for (const type of known) {
    if (!wanted.has(type.type)) continue;
    const viewer = uis.get(type.plugin?.id)?.viewers?.[type.type];
    if (viewer) viewers.set(type.type, viewer);
  }
  return { viewers, errors };
}

class ViewerBoundary extends Component<{ fallback: ReactNode; children: ReactNode }, { error: Error | null }> {
  override state: { error: Error | null } = { error: null };
  static getDerivedStateFromError(error: Error) {
    return { error };
  }
  override render() {
    if (!this.state.error) return this.props.children;
    return (
      <div className="stack">
        <p className="muted">The plugin's viewer failed ({this.state.error.message}); showing the plain result.</p>
        {this.props.fallback}
      </div>
    );
  }
}

/** A node's output: its plugin's viewer when there is one (Raw JSON beside it), else the built-in rendering. */
export function OutputView({ value, viewer, runId, artifacts, empty }: { value: unknown; viewer?: ComponentType<{ value: unknown }>; empty?: ReactNode } & ValueContext) {
  const [raw, setRaw] = useState(false);
  const builtIn = <ValueView value={value} runId={runId} artifacts={artifacts} empty={empty} />;
  if (!viewer || value === undefined || value === null) return builtIn;
  const Viewer = viewer;
  return (
    <div className="value-view">
      <div className="view-switch" role="group" aria-label="Display">
        <button type="button" className={`small ${raw ? 'secondary' : ''}`} aria-pressed={!raw} onClick={() => setRaw(false)}>
          Viewer
        </button>
        <button type="button" className={`small ${raw ? '' : 'secondary'}`} aria-pressed={raw} onClick={() => setRaw(true)}>
          Raw JSON
        </button>
      </div>
      {raw ? (
        <RawJson value={value} />
      ) : (
        <ViewerBoundary fallback={builtIn}>
          <div className="plugin-viewer">
            <Viewer value={value} />
          </div>
        </ViewerBoundary>
      )}
    </div>
  );
}

/** The nodes whose outputs make the run's result: the leaves that delivered one. */
export function resultNodes(run: Run): string[] {
  const graph = run.graph;
  if (!graph) return [];
  const withChildren = new Set(graph.edges.map((edge) => edge.source));
  const status = new Map(run.nodes.map((node) => [node.nodeId, node]));
  return graph.nodes
    .filter((node) => !withChildren.has(node.id))
    .filter((node) => {
      const state = status.get(node.id);
      return state && (state.status === 'succeeded' || (state.status === 'failed' && state.output !== null && state.output !== undefined));
    })
    .map((node) => node.id);
}

export function nodeTypeOf(run: Run, nodeId: string): string | undefined {
  return run.graph?.nodes.find((node) => node.id === nodeId)?.type;
}

export function nodeLabelOf(run: Run, nodeId: string): string {
  const label = run.graph?.nodes.find((node) => node.id === nodeId)?.data?.label;
  return label ? `${label} (${nodeId})` : nodeId;
}

/** The run's result and files, read-only. */
export function ResultView({ run, showFiles = true }: { run: Run; showFiles?: boolean }) {
  const artifacts = useMemo(() => run.nodes.flatMap((node) => node.artifacts ?? []), [run.nodes]);
  const producers = resultNodes(run);
  const { viewers } = useViewers(run, producers.map((nodeId) => nodeTypeOf(run, nodeId) ?? ''));
  const viewerOf = (nodeId: string) => viewers.get(nodeTypeOf(run, nodeId) ?? '');
  const output = run.output as Json | undefined;
  const empty = run.status === 'failed' ? 'No result: the run failed.' : run.status === 'canceled' ? 'No result: the run was canceled.' : run.status === 'succeeded' ? 'The run returned no value.' : 'No result yet.';
  // Several leaves deliver `{ [nodeId]: output }`: each part is shown as its node's output.
  const keyed = producers.length > 1 && isPlainObject(output) && Object.keys(output).every((key) => producers.includes(key));
  return (
    <div className="result-view stack">
      {keyed ? (
        Object.entries(output as PlainObject).map(([nodeId, value]) => (
          <section key={nodeId} className="result-part">
            <h3>{nodeLabelOf(run, nodeId)}</h3>
            <OutputView value={value} viewer={viewerOf(nodeId)} runId={run.id} artifacts={artifacts} empty="No value" />
          </section>
        ))
      ) : (
        <OutputView value={output} viewer={producers.length === 1 ? viewerOf(producers[0]!) : undefined} runId={run.id} artifacts={artifacts} empty={empty} />
      )}
      {showFiles && artifacts.length > 0 && (
        <section>
          <h3>Files</h3>
          <FilesView runId={run.id} artifacts={artifacts} />
        </section>
      )}
    </div>
  );
}

import Form from '@rjsf/core';
import type { RJSFSchema, UiSchema } from '@rjsf/utils';
import validator from '@rjsf/validator-ajv8';
import { Component, useMemo, useState, type FormEvent, type ReactNode } from 'react';
import { Link, Route, Routes, useLocation, useNavigate, useParams } from 'react-router-dom';
import { post } from '../../app/api.js';
import type { NodeType } from '../../app/types.js';
import { Async, Empty, ErrorBox, formatTime, PageHeader, useAction, useApi, type Loaded } from '../../app/ui.js';
import { CodeEditor } from './CodeEditor.js';

type Language = 'python' | 'javascript' | 'bash';
type Trust = 'restricted' | 'trusted';

/** `/api/node-types` items that are this org's script node types carry their script. */
interface ScriptNodeType extends Omit<NodeType, 'plugin'> {
  plugin: null;
  script: { language: Language; code: string; trust: Trust; image: string | null; createdAt: string };
}

const isScript = (type: NodeType | ScriptNodeType): type is ScriptNodeType => Boolean((type as ScriptNodeType).script) && !type.plugin;

function compareVersions(a: string, b: string): number {
  const left = a.split('.').map(Number);
  const right = b.split('.').map(Number);
  for (let i = 0; i < 3; i++) if ((left[i] ?? 0) !== (right[i] ?? 0)) return (left[i] ?? 0) - (right[i] ?? 0);
  return 0;
}

const TEMPLATES: Record<Language, string> = {
  python: 'def main(input, args):\n    # input: the output of the node before; args: this node\'s settings\n    return {"received": input}\n',
  javascript: 'export default async (input, args) => {\n  // input: the output of the node before; args: this node\'s settings\n  return { received: input };\n};\n',
  bash: '# stdin carries the input as JSON; print the output as JSON\nrequest=$(cat)\necho "{\\"ok\\": true}"\n',
};

const EMPTY_ARGS = '{\n  "type": "object",\n  "properties": {}\n}\n';

/** The org's script node types: a list, and an editor where each save is a new version. */
export function NodeTypesPage() {
  const types = useApi<Array<NodeType | ScriptNodeType>>('/api/node-types');
  const own = useMemo(() => (types.data ?? []).filter(isScript), [types.data]);
  return (
    <Routes>
      <Route index element={<NodeTypeList state={types} own={own} />} />
      <Route path="new" element={<Async state={types}>{() => <NodeTypeEditor versions={[]} onSaved={types.reload} />}</Async>} />
      <Route path=":type" element={<Async state={types}>{() => <EditExisting own={own} onSaved={types.reload} />}</Async>} />
    </Routes>
  );
}

function NodeTypeList({ state, own }: { state: Loaded<Array<NodeType | ScriptNodeType>>; own: ScriptNodeType[] }) {
  const latest = useMemo(() => {
    const byType = new Map<string, ScriptNodeType[]>();
    for (const type of own) byType.set(type.type, [...(byType.get(type.type) ?? []), type]);
    return [...byType.values()].map((versions) => {
      const sorted = [...versions].sort((a, b) => compareVersions(a.version, b.version));
      return { latest: sorted[sorted.length - 1]!, count: sorted.length };
    });
  }, [own]);
  return (
    <div>
      <PageHeader title="Script nodes">
        <Link className="button" to="new">
          New script node type
        </Link>
      </PageHeader>
      <p className="muted">
        Node types your org defines in the browser: code in Python, JavaScript or Bash that runs in a fresh container. Each save is a new version; pipelines keep the version they were built with.
      </p>
      <Async state={state}>
        {() =>
          latest.length === 0 ? (
            <Empty>No script node type yet. Create one to offer it in the pipeline editor of your org.</Empty>
          ) : (
            <table className="table">
              <thead>
                <tr>
                  <th>Name</th>
                  <th>Type</th>
                  <th>Latest</th>
                  <th>Language</th>
                  <th>Trust</th>
                  <th>Inputs → outputs</th>
                  <th>Updated</th>
                </tr>
              </thead>
              <tbody>
                {latest.map(({ latest: type, count }) => (
                  <tr key={type.type}>
                    <td>
                      <Link to={encodeURIComponent(type.type)}>{type.name}</Link>
                    </td>
                    <td>
                      <code>{type.type}</code>
                    </td>
                    <td>
                      v{type.version} <span className="muted">({count} version{count === 1 ? '' : 's'})</span>
                    </td>
                    <td>{type.script.language}</td>
                    <td>
                      <span className={`badge${type.script.trust === 'trusted' ? ' status-queued' : ''}`}>{type.script.trust}</span>
                    </td>
                    <td className="mono">
                      {type.inputs.join(', ') || '—'} → {type.outputs.join(', ')}
                    </td>
                    <td>{formatTime(type.script.createdAt)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )
        }
      </Async>
    </div>
  );
}

interface SavedState {
  created?: ScriptNodeType;
  saved?: string;
}

function EditExisting({ own, onSaved }: { own: ScriptNodeType[]; onSaved(): void }) {
  const { type = '' } = useParams();
  const state = (useLocation().state ?? {}) as SavedState;
  let versions = own.filter((candidate) => candidate.type === type).sort((a, b) => compareVersions(b.version, a.version));
  // Just created: the list may not have reloaded yet.
  if (versions.length === 0 && state.created?.type === type) versions = [state.created];
  if (versions.length === 0) {
    return (
      <div>
        <PageHeader title="Script node type" />
        <ErrorBox error={new Error(`Your org has no script node type ${type}.`)} />
        <p>
          <Link to="/admin/node-types">Back to the script node types</Link>
        </p>
      </div>
    );
  }
  return <NodeTypeEditor key={type} versions={versions} onSaved={onSaved} />;
}

/** Parses JSON text that must be an object; the message says where it breaks. */
function parseObject(text: string, label: string): { value?: Record<string, unknown>; error?: string } {
  if (!text.trim()) return { value: {} };
  try {
    const value = JSON.parse(text) as unknown;
    if (!value || typeof value !== 'object' || Array.isArray(value)) return { error: `${label} must be a JSON object` };
    return { value: value as Record<string, unknown> };
  } catch (error) {
    return { error: (error as Error).message };
  }
}

const handles = (text: string) =>
  text
    .split(',')
    .map((part) => part.trim())
    .filter(Boolean);
const HANDLE = /^[A-Za-z][A-Za-z0-9_-]{0,63}$/;

interface Draft {
  type: string;
  name: string;
  description: string;
  category: string;
  language: Language;
  code: string;
  argsSchema: string;
  uiSchema: string;
  inputs: string;
  outputs: string;
  trust: Trust;
  image: string;
}

function draftOf(version: ScriptNodeType | undefined): Draft {
  if (!version) {
    return { type: '', name: '', description: '', category: '', language: 'python', code: TEMPLATES.python, argsSchema: EMPTY_ARGS, uiSchema: '{}\n', inputs: 'main', outputs: 'main', trust: 'restricted', image: '' };
  }
  return {
    type: version.type,
    name: version.name,
    description: version.description ?? '',
    category: version.category && version.category !== 'Scripts' ? version.category : '',
    language: version.script.language,
    code: version.script.code,
    argsSchema: `${JSON.stringify(version.argsSchema ?? {}, null, 2)}\n`,
    uiSchema: `${JSON.stringify(version.uiSchema ?? {}, null, 2)}\n`,
    inputs: version.inputs.join(', '),
    outputs: version.outputs.join(', '),
    trust: version.script.trust,
    image: version.script.image ?? '',
  };
}

function NodeTypeEditor({ versions, onSaved }: { versions: ScriptNodeType[]; onSaved(): void }) {
  const navigate = useNavigate();
  const location = useLocation();
  const existing = versions[0];
  const [base, setBase] = useState(existing?.version);
  const [draft, setDraft] = useState<Draft>(() => draftOf(existing));
  const [saved, setSaved] = useState<string | null>(((location.state ?? {}) as SavedState).saved ?? null);
  const set = <K extends keyof Draft>(key: K, value: Draft[K]) => {
    setSaved(null);
    setDraft((previous) => ({ ...previous, [key]: value }));
  };
  const args = parseObject(draft.argsSchema, 'The args schema');
  const ui = parseObject(draft.uiSchema, 'The UI schema');
  const argsTypeError = args.value && draft.argsSchema.trim() && args.value.type !== 'object' ? 'The args schema must have "type": "object"' : undefined;
  const inputList = handles(draft.inputs);
  const outputList = handles(draft.outputs);
  const badHandle = [...inputList, ...outputList].find((handle) => !HANDLE.test(handle));
  const problems = [
    args.error || argsTypeError ? 'the args schema' : null,
    ui.error ? 'the UI schema' : null,
    outputList.length === 0 ? 'outputs (at least one)' : null,
    badHandle ? `the handle "${badHandle}"` : null,
  ].filter(Boolean);

  const action = useAction(async (event: FormEvent) => {
    event.preventDefault();
    const created = await post<ScriptNodeType>('/api/node-types', {
      type: draft.type.trim(),
      name: draft.name.trim(),
      ...(draft.description.trim() ? { description: draft.description.trim() } : {}),
      ...(draft.category.trim() ? { category: draft.category.trim() } : {}),
      language: draft.language,
      code: draft.code,
      argsSchema: draft.argsSchema.trim() ? args.value : { type: 'object', properties: {} },
      uiSchema: ui.value ?? {},
      inputs: inputList,
      outputs: outputList,
      trust: draft.trust,
      image: draft.image.trim() || null,
    });
    const message = `Saved as version ${created.version}.`;
    setSaved(message);
    setBase(created.version);
    onSaved();
    if (!existing) navigate(`/admin/node-types/${encodeURIComponent(created.type)}`, { replace: true, state: { created, saved: message } satisfies SavedState });
  });

  return (
    <div>
      <PageHeader
        title={
          existing ? (
            <>
              {existing.name} <span className="muted">v{existing.version}</span>
            </>
          ) : (
            'New script node type'
          )
        }
      >
        <Link className="button secondary" to="/admin/node-types">
          All script nodes
        </Link>
      </PageHeader>
      <form onSubmit={action.run} className="admin-editor-layout">
        <div className="stack">
          <section className="card stack">
            <div className="admin-form-grid">
              <label>
                Type key
                <input
                  required
                  minLength={3}
                  maxLength={100}
                  placeholder="acme.cleanOrders"
                  value={draft.type}
                  disabled={Boolean(existing)}
                  pattern="[A-Za-z][A-Za-z0-9_]*(\.[A-Za-z][A-Za-z0-9_]*)+"
                  title='A dotted name such as "acme.cleanOrders"'
                  onChange={(event) => set('type', event.target.value)}
                />
              </label>
              <label>
                Name
                <input required maxLength={200} placeholder="Clean orders" value={draft.name} onChange={(event) => set('name', event.target.value)} />
              </label>
              <label>
                <span>
                  Category <span className="muted">(optional)</span>
                </span>
                <input maxLength={100} placeholder="Scripts" value={draft.category} onChange={(event) => set('category', event.target.value)} />
              </label>
              <label>
                Language
                <select
                  value={draft.language}
                  onChange={(event) => {
                    const language = event.target.value as Language;
                    setSaved(null);
                    // An untouched template follows the language; code someone wrote stays.
                    setDraft((previous) => ({ ...previous, language, code: previous.code === TEMPLATES[previous.language] ? TEMPLATES[language] : previous.code }));
                  }}
                >
                  <option value="python">Python</option>
                  <option value="javascript">JavaScript</option>
                  <option value="bash">Bash</option>
                </select>
              </label>
            </div>
            <label>
              <span>
                Description <span className="muted">(optional)</span>
              </span>
              <input maxLength={2000} value={draft.description} onChange={(event) => set('description', event.target.value)} />
            </label>
          </section>
          <section className="card stack">
            <div className="admin-section-title">
              <h3 style={{ margin: 0 }}>Code</h3>
              <span className="muted">
                {draft.language === 'python'
                  ? 'Define main(input, args) and return the output.'
                  : draft.language === 'javascript'
                    ? 'Export default an async function (input, args) returning the output.'
                    : 'Read the input JSON on stdin, print the output JSON.'}{' '}
                With several outputs, return {'{ "handle": …, "output": … }'}. A node's credential arrives as environment variables.
              </span>
            </div>
            <CodeEditor label="Code" language={draft.language} value={draft.code} onChange={(code) => set('code', code)} minHeight={220} />
          </section>
          <section className="card stack">
            <div className="grid-2">
              <div className="stack" style={{ gap: 4 }}>
                <strong>Args schema (JSON Schema)</strong>
                <CodeEditor label="Args schema" language="json" value={draft.argsSchema} onChange={(text) => set('argsSchema', text)} invalid={Boolean(args.error || argsTypeError)} />
                {(args.error || argsTypeError) && (
                  <span className="admin-field-error" role="alert">
                    {args.error ?? argsTypeError}
                  </span>
                )}
              </div>
              <div className="stack" style={{ gap: 4 }}>
                <strong>UI schema (rjsf)</strong>
                <CodeEditor label="UI schema" language="json" value={draft.uiSchema} onChange={(text) => set('uiSchema', text)} invalid={Boolean(ui.error)} />
                {ui.error && (
                  <span className="admin-field-error" role="alert">
                    {ui.error}
                  </span>
                )}
              </div>
            </div>
          </section>
          <section className="card">
            <div className="admin-form-grid">
              <label>
                <span>
                  Inputs <span className="muted">(comma-separated; none for an entry node)</span>
                </span>
                <input value={draft.inputs} placeholder="main" onChange={(event) => set('inputs', event.target.value)} />
              </label>
              <label>
                <span>
                  Outputs <span className="muted">(comma-separated)</span>
                </span>
                <input required value={draft.outputs} placeholder="main" onChange={(event) => set('outputs', event.target.value)} />
              </label>
              <label>
                Trust
                <select value={draft.trust} onChange={(event) => set('trust', event.target.value as Trust)}>
                  <option value="restricted">Restricted (no network)</option>
                  <option value="trusted">Trusted (network access, otherwise the same)</option>
                </select>
              </label>
              <label>
                <span>
                  Image <span className="muted">(optional)</span>
                </span>
                <input maxLength={255} placeholder="python:3.12-slim" value={draft.image} onChange={(event) => set('image', event.target.value)} />
              </label>
            </div>
            {badHandle && <p className="admin-field-error">"{badHandle}" is not a handle: a letter, then letters, digits, _ or -.</p>}
          </section>
          <ErrorBox error={action.error} />
          <div className="row">
            <button type="submit" disabled={action.busy || problems.length > 0}>
              {action.busy ? 'Saving…' : existing ? 'Save as a new version' : 'Create node type'}
            </button>
            {problems.length > 0 && <span className="admin-field-error">Fix {problems.join(', ')} first.</span>}
            {saved && (
              <span className="ok" role="status">
                {saved}
              </span>
            )}
          </div>
          {versions.length > 0 && (
            <section>
              <h2>Versions</h2>
              <table className="table">
                <thead>
                  <tr>
                    <th>Version</th>
                    <th>Name</th>
                    <th>Language</th>
                    <th>Trust</th>
                    <th>Created</th>
                    <th aria-label="Actions" />
                  </tr>
                </thead>
                <tbody>
                  {versions.map((version) => (
                    <tr key={version.version}>
                      <td>
                        v{version.version}
                        {version === versions[0] && <span className="badge admin-badge-gap">latest</span>}
                      </td>
                      <td>{version.name}</td>
                      <td>{version.script.language}</td>
                      <td>{version.script.trust}</td>
                      <td>{formatTime(version.script.createdAt)}</td>
                      <td className="admin-actions">
                        {base === version.version ? (
                          <span className="muted">in the form</span>
                        ) : (
                          <button
                            type="button"
                            className="secondary small"
                            onClick={() => {
                              setDraft(draftOf(version));
                              setBase(version.version);
                              setSaved(null);
                            }}
                          >
                            Load into the form
                          </button>
                        )}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </section>
          )}
        </div>
        <aside className="card admin-preview" aria-label="Form preview">
          <h3 style={{ marginTop: 0 }}>Form preview</h3>
          <p className="muted" style={{ marginTop: 0 }}>
            What the pipeline editor shows for this node's args.
          </p>
          {args.value && !argsTypeError && ui.value && Object.keys((args.value.properties as object | undefined) ?? {}).length === 0 ? (
            <p className="muted">No args: the node has no settings. Add properties to the args schema.</p>
          ) : args.value && !argsTypeError && ui.value ? (
            <PreviewBoundary key={`${draft.argsSchema}\u0000${draft.uiSchema}`}>
              <div className="admin-rjsf">
                <Form schema={args.value as RJSFSchema} uiSchema={{ ...(ui.value as UiSchema), 'ui:submitButtonOptions': { norender: true } }} validator={validator} liveValidate noHtml5Validate showErrorList={false} idPrefix="preview" tagName="div" />
              </div>
            </PreviewBoundary>
          ) : (
            <p className="muted">Fix the schema to see the form.</p>
          )}
        </aside>
      </form>
    </div>
  );
}

/** A schema rjsf cannot render must not take the editor down with it. */
class PreviewBoundary extends Component<{ children: ReactNode }, { error: Error | null }> {
  override state = { error: null as Error | null };
  static getDerivedStateFromError(error: Error) {
    return { error };
  }
  override render() {
    return this.state.error ? <p className="admin-field-error">The form cannot be drawn: {this.state.error.message}</p> : this.props.children;
  }
}

import { useEffect, useState, type FormEvent } from 'react';
import { Link } from 'react-router-dom';
import { post } from '../../app/api.js';
import type { NodeType, Pipeline, PipelineVersion, User } from '../../app/types.js';
import { ErrorBox, formatDuration, FormFooter, Modal, StatusBadge, useAction } from '../../app/ui.js';
import { useLiveRun } from '../runs/live.js';
import { NodeRunDetails, RunError } from '../runs/NodeRunDetails.js';
import { ResultView } from '../runs/ResultView.js';
import type { FlowNode } from './graph.js';
import type { NodeStateStore } from './node-state.js';

export interface RunRequest {
  mode: 'test' | 'production';
  input: unknown;
  version?: number;
  clientId?: string;
}

/** Play: the run's input, and for a published run its version and client. */
export function RunDialog({
  mode,
  pipeline,
  versions,
  clients,
  onClose,
  onRun,
}: {
  mode: 'test' | 'production';
  pipeline: Pipeline;
  versions: PipelineVersion[];
  clients: User[];
  onClose(): void;
  onRun(request: RunRequest): Promise<void>;
}) {
  const storageKey = `piper.runInput.${pipeline.id}`;
  const [input, setInput] = useState(() => localStorage.getItem(storageKey) ?? '{}');
  const [version, setVersion] = useState(pipeline.latestVersion ?? 0);
  const [clientId, setClientId] = useState(pipeline.clientId ?? '');
  const action = useAction(async (event: FormEvent) => {
    event.preventDefault();
    let parsed: unknown;
    try {
      parsed = input.trim() === '' ? {} : JSON.parse(input);
    } catch (error) {
      throw new Error(`The input is not JSON: ${(error as Error).message}`);
    }
    localStorage.setItem(storageKey, input);
    await onRun(mode === 'test' ? { mode, input: parsed } : { mode, input: parsed, version, ...(clientId ? { clientId } : {}) });
  });
  return (
    <Modal title={mode === 'test' ? 'Test run of the draft' : 'Run a published version'} onClose={onClose}>
      <form className="stack" onSubmit={action.run}>
        {mode === 'production' && (
          <>
            {!pipeline.enabled && <div className="error-box">The pipeline is disabled: enable it in the pipeline panel to run published versions.</div>}
            <label>
              Version
              <select value={version} onChange={(event) => setVersion(Number(event.target.value))}>
                {versions.map((candidate) => (
                  <option key={candidate.version} value={candidate.version}>
                    v{candidate.version}
                  </option>
                ))}
              </select>
            </label>
            <label>
              For client
              <select aria-label="For client" value={clientId} onChange={(event) => setClientId(event.target.value)}>
                <option value="">No client</option>
                {clients.map((client) => (
                  <option key={client.id} value={client.id}>
                    {client.name}
                  </option>
                ))}
              </select>
            </label>
          </>
        )}
        <label>
          Input (JSON)
          <textarea className="code" rows={8} spellCheck={false} value={input} onChange={(event) => setInput(event.target.value)} />
        </label>
        <FormFooter error={action.error} busy={action.busy} onCancel={onClose}>
          {action.busy ? 'Starting…' : mode === 'test' ? '▶ Run test' : '▶ Run'}
        </FormFooter>
      </form>
    </Modal>
  );
}

/** The run started from the editor: live node status on the canvas, and here its result and each node's details. */
export function RunPanel({
  runId,
  store,
  graphNodes,
  nodeTypeOf,
  onClose,
  onRetried,
}: {
  runId: string;
  store: NodeStateStore;
  graphNodes: FlowNode[];
  nodeTypeOf(type: string, version?: string): NodeType | undefined;
  onClose(): void;
  onRetried(runId: string): void;
}) {
  const { run, logs, error } = useLiveRun(runId);
  const [nodeId, setNodeId] = useState<string | null>(null);
  const control = useAction(async (what: 'cancel' | 'retry') => {
    const answer = await post<{ id?: string }>(`/api/runs/${runId}/${what}`);
    if (what === 'retry' && answer.id) onRetried(answer.id);
  });

  useEffect(() => {
    for (const node of run?.nodes ?? []) store.setStatus(node.nodeId, node.status);
  }, [run, store]);

  const node = run?.nodes.find((candidate) => candidate.nodeId === nodeId);
  const label = (id: string) => {
    const flowNode = graphNodes.find((candidate) => candidate.id === id);
    if (flowNode) return flowNode.data.label || nodeTypeOf(flowNode.data.nodeType, flowNode.data.version)?.name || id;
    const snapshot = run?.graph?.nodes.find((candidate) => candidate.id === id);
    return snapshot?.data?.label || (snapshot ? nodeTypeOf(snapshot.type, snapshot.data?.version)?.name : undefined) || id;
  };

  return (
    <section className="run-panel" aria-label="Run">
      <header className="row">
        <strong>{run?.mode === 'production' ? `Run of v${run.version}` : 'Test run'}</strong>
        {run && <StatusBadge status={run.status} />}
        {run && <span className="muted">{formatDuration(run.startedAt ?? run.createdAt, run.finishedAt)}</span>}
        <span className="spacer" />
        {run && (run.status === 'running' || run.status === 'queued') && (
          <button type="button" className="secondary small" onClick={() => void control.run('cancel')} disabled={control.busy}>
            Cancel run
          </button>
        )}
        {run && (run.status === 'failed' || run.status === 'canceled') && (
          <button type="button" className="secondary small" onClick={() => void control.run('retry')} disabled={control.busy}>
            Retry
          </button>
        )}
        <Link to={`/manager/runs/${runId}`} className="small">
          Open run page
        </Link>
        <button type="button" className="icon" aria-label="Close the run panel" onClick={onClose}>
          ×
        </button>
      </header>
      <ErrorBox error={error ?? control.error} />
      <div className="run-panel-body">
        <ul className="run-nodes" aria-label="Node runs">
          {(run?.nodes ?? []).map((candidate) => (
            <li key={candidate.nodeId}>
              <button type="button" className={`run-node${candidate.nodeId === nodeId ? ' active' : ''}`} onClick={() => setNodeId(candidate.nodeId)}>
                <span className={`run-dot run-${candidate.status}`} />
                {label(candidate.nodeId)}
                <span className="muted"> {candidate.status}</span>
              </button>
            </li>
          ))}
        </ul>
        <div className="run-detail">
          {run && node ? (
            <NodeRunDetails run={run} nodeId={node.nodeId} logs={logs} />
          ) : run && run.status === 'failed' ? (
            <RunError error={run.error} title="The run failed" />
          ) : run && run.status === 'succeeded' ? (
            <>
              <ResultView run={run} />
              <p className="muted">Pick a node on the left for its input, output, attempts and logs.</p>
            </>
          ) : (
            <p className="muted">{run ? 'Running… nodes light up on the canvas as they run.' : 'Starting…'}</p>
          )}
        </div>
      </div>
    </section>
  );
}

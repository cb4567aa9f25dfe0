import { Handle, Position, useStore, type NodeProps } from '@xyflow/react';
import { memo } from 'react';
import { categoryColor, initials, useEditor } from './context.js';
import { outputsOf, type FlowNode } from './graph.js';
import { useNodeState } from './node-state.js';

/** Below this zoom nodes are drawn as tiles without text. */
const FAR_ZOOM = 0.3;

/** A node on the canvas: its type, label, handles, live status and validation errors. */
function PipelineNodeView({ id, data, selected }: NodeProps<FlowNode>) {
  const { store, nodeTypeOf } = useEditor();
  const state = useNodeState(store, id);
  const nodeType = nodeTypeOf(data.nodeType, data.version);
  const inputs = nodeType?.inputs ?? ['main'];
  const outputs = outputsOf(nodeType, data.args);
  const color = categoryColor(nodeType?.category);
  const errors = state.errors ?? [];
  // Zoomed far out the text is unreadable: a plain tile draws a big pipeline much faster.
  const zoomedOut = useStore((flow) => flow.transform[2] < FAR_ZOOM);
  const classes = ['piper-node', zoomedOut ? 'far' : '', state.status ? `run-${state.status}` : '', errors.length ? 'invalid' : '', selected ? 'selected' : ''].filter(Boolean).join(' ');
  return (
    <div className={classes} data-node-id={id} data-status={state.status ?? ''} title={errors.map((error) => error.message).join('\n') || undefined}>
      {inputs.map((handle, index) => (
        <Handle key={handle} id={handle === 'main' ? undefined : handle} type="target" position={Position.Left} style={{ top: `${((index + 1) * 100) / (inputs.length + 1)}%` }} />
      ))}
      {zoomedOut ? (
        <span className="tile" style={{ background: color }} aria-label={data.label || nodeType?.name || data.nodeType} />
      ) : (
        <>
          <span className="icon" style={{ background: color }} aria-hidden>
            {initials(nodeType?.name ?? data.nodeType)}
          </span>
          <span className="text">
            <span className="title">{data.label || nodeType?.name || data.nodeType}</span>
            <span className="subtitle">
              {id} · {data.nodeType}
              {!nodeType && ' (not installed)'}
            </span>
          </span>
        </>
      )}
      {state.status && <span className={`run-dot run-${state.status}`} aria-label={`status ${state.status}`} />}
      {errors.length > 0 && (
        <span className="error-count" aria-label={`${errors.length} problems`}>
          !
        </span>
      )}
      {outputs.map((handle, index) => (
        <Handle key={handle} id={handle === 'main' ? undefined : handle} type="source" position={Position.Right} style={{ top: `${((index + 1) * 100) / (outputs.length + 1)}%` }}>
          {outputs.length > 1 && <span className="handle-label">{handle}</span>}
        </Handle>
      ))}
    </div>
  );
}

export const PipelineNode = memo(PipelineNodeView);

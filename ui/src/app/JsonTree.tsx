import { useState } from 'react';

/** JSON as a collapsible tree: objects and arrays fold, deep levels start folded. */
export function JsonTree({ value, openDepth = 2 }: { value: unknown; openDepth?: number }) {
  return (
    <div className="json-tree">
      <JsonValue value={value} depth={0} openDepth={openDepth} />
    </div>
  );
}

function JsonValue({ value, depth, openDepth, name }: { value: unknown; depth: number; openDepth: number; name?: string }) {
  const [open, setOpen] = useState(depth < openDepth);
  const label = name === undefined ? null : <span className="key">{JSON.stringify(name)}: </span>;
  if (value === null || typeof value !== 'object') {
    const kind = value === null ? 'null' : typeof value;
    return (
      <span>
        {label}
        <span className={kind}>{value === undefined ? 'undefined' : JSON.stringify(value)}</span>
      </span>
    );
  }
  const entries: Array<[string, unknown]> = Array.isArray(value) ? value.map((item, index) => [String(index), item]) : Object.entries(value);
  const [openMark, closeMark] = Array.isArray(value) ? ['[', ']'] : ['{', '}'];
  if (entries.length === 0) {
    return (
      <span>
        {label}
        {openMark}
        {closeMark}
      </span>
    );
  }
  return (
    <span>
      <button type="button" className="toggle" aria-expanded={open} onClick={() => setOpen(!open)}>
        {open ? '▾' : '▸'}
      </button>
      {label}
      {openMark}
      {open ? (
        <ul>
          {entries.map(([key, item]) => (
            <li key={key}>
              <JsonValue value={item} depth={depth + 1} openDepth={openDepth} name={Array.isArray(value) ? undefined : key} />
            </li>
          ))}
        </ul>
      ) : (
        <span className="muted"> {Array.isArray(value) ? `${entries.length} items` : `${entries.length} keys`} </span>
      )}
      {closeMark}
    </span>
  );
}

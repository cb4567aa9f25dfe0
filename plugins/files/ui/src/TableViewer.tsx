import * as React from 'react';

/** What files.csvParse (and any { rows, columns } output) looks like. */
interface TableValue {
  rows: unknown[];
  columns?: string[];
  rowCount?: number;
}

const PAGE = 200;

function isTable(value: unknown): value is TableValue {
  return typeof value === 'object' && value !== null && Array.isArray((value as TableValue).rows);
}

function columnsOf(value: TableValue): string[] {
  if (value.columns?.length) return value.columns;
  const first = value.rows[0];
  if (Array.isArray(first)) return first.map((_, index) => `column_${index + 1}`);
  const keys = new Set<string>();
  for (const row of value.rows) if (row && typeof row === 'object') for (const key of Object.keys(row)) keys.add(key);
  return [...keys];
}

function cellOf(row: unknown, column: string, index: number): unknown {
  if (Array.isArray(row)) return row[index];
  return row && typeof row === 'object' ? (row as Record<string, unknown>)[column] : undefined;
}

function text(value: unknown): string {
  if (value === null || value === undefined) return '';
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

const styles = {
  wrap: { fontFamily: 'system-ui, sans-serif', fontSize: 13 },
  bar: { display: 'flex', gap: 12, alignItems: 'center', marginBottom: 8 },
  scroller: { maxHeight: 420, overflow: 'auto', border: '1px solid #d0d7de', borderRadius: 6 },
  table: { borderCollapse: 'collapse' as const, width: '100%' },
  th: { position: 'sticky' as const, top: 0, background: '#f6f8fa', textAlign: 'left' as const, padding: '4px 8px', borderBottom: '1px solid #d0d7de', whiteSpace: 'nowrap' as const },
  td: { padding: '4px 8px', borderBottom: '1px solid #eaeef2', verticalAlign: 'top' as const, whiteSpace: 'pre-wrap' as const, maxWidth: 360, overflowWrap: 'anywhere' as const },
  number: { textAlign: 'right' as const, fontVariantNumeric: 'tabular-nums' },
  empty: { color: '#8c959f' },
  index: { color: '#8c959f', textAlign: 'right' as const },
};

/** A result viewer: rows as a table with a filter, a page at a time. Anything else as JSON. */
export function TableViewer({ value }: { value: unknown }) {
  const [filter, setFilter] = React.useState('');
  const [shown, setShown] = React.useState(PAGE);
  if (!isTable(value)) return <pre style={styles.wrap}>{JSON.stringify(value, null, 2)}</pre>;
  const columns = columnsOf(value);
  const needle = filter.trim().toLowerCase();
  const indexed = value.rows.map((row, index) => ({ row, index }));
  const matching = needle ? indexed.filter(({ row }) => columns.some((column, i) => text(cellOf(row, column, i)).toLowerCase().includes(needle))) : indexed;
  const visible = matching.slice(0, shown);
  const total = value.rowCount ?? value.rows.length;
  const counted = needle ? `${matching.length} of ${total} rows match` : `${total} row${total === 1 ? '' : 's'}`;
  const summary = `${counted}, ${columns.length} column${columns.length === 1 ? '' : 's'}`;
  return (
    <div style={styles.wrap} data-piper-viewer="table">
      <div style={styles.bar}>
        <input type="search" placeholder="Filter rows" aria-label="Filter rows" value={filter} onChange={(event) => setFilter(event.target.value)} />
        <span>{summary}</span>
      </div>
      <div style={styles.scroller}>
        <table style={styles.table}>
          <thead>
            <tr>
              <th style={{ ...styles.th, ...styles.index }}>#</th>
              {columns.map((column) => (
                <th key={column} style={styles.th} scope="col">
                  {column}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {visible.map(({ row, index }) => (
              <tr key={index}>
                <td style={{ ...styles.td, ...styles.index }}>{index + 1}</td>
                {columns.map((column, i) => {
                  const cell = cellOf(row, column, i);
                  const style = typeof cell === 'number' ? { ...styles.td, ...styles.number } : styles.td;
                  return (
                    <td key={column} style={cell === null || cell === undefined ? { ...style, ...styles.empty } : style}>
                      {cell === null || cell === undefined ? '—' : text(cell)}
                    </td>
                  );
                })}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {matching.length > visible.length && (
        <button type="button" onClick={() => setShown(shown + PAGE)} style={{ marginTop: 8 }}>
          {`Show ${Math.min(PAGE, matching.length - visible.length)} more of the ${matching.length - visible.length} left`}
        </button>
      )}
    </div>
  );
}

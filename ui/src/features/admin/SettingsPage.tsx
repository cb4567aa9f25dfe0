import { useEffect, useState, type FormEvent } from 'react';
import { patch } from '../../app/api.js';
import { Async, ErrorBox, PageHeader, useAction, useApi } from '../../app/ui.js';
import type { OrgSettings } from './common.js';

interface Field {
  section: keyof OrgSettings;
  key: string;
  label: string;
  unit: string;
  min: number;
  max: number;
  step: number;
  integer: boolean;
  help: string;
}

/** Bounds as the server's schema has them (core/src/settings, core/src/pipelines/graph.ts). */
const FIELDS: Field[] = [
  { section: 'sandbox', key: 'memoryMb', label: 'Memory', unit: 'MB', min: 8, max: 1024, step: 1, integer: true, help: 'Heap of the isolate that runs a transform or an expression.' },
  { section: 'sandbox', key: 'timeoutMs', label: 'Time limit', unit: 'ms', min: 1, max: 60_000, step: 1, integer: true, help: 'How long one transform or expression may run.' },
  { section: 'scripts', key: 'timeoutMs', label: 'Time limit', unit: 'ms', min: 100, max: 3_600_000, step: 100, integer: true, help: 'How long a script container may run.' },
  { section: 'scripts', key: 'memoryMb', label: 'Memory', unit: 'MB', min: 32, max: 8192, step: 1, integer: true, help: 'Memory of a script container.' },
  { section: 'scripts', key: 'cpus', label: 'CPUs', unit: 'cores', min: 0.1, max: 16, step: 0.1, integer: false, help: 'CPU share of a script container (0.5 is half a core).' },
  { section: 'scripts', key: 'pids', label: 'Processes', unit: 'pids', min: 16, max: 4096, step: 1, integer: true, help: 'Most processes and threads a script container may start.' },
];

const SECTIONS: Array<{ id: keyof OrgSettings; title: string; text: string }> = [
  { id: 'sandbox', title: 'Transforms and expressions (isolates)', text: 'Defaults for core.transform code and {{ }} expressions; a node’s own settings override them.' },
  { id: 'scripts', title: 'Script containers', text: 'Defaults for core.script and script node types; a node’s timeoutMs and memoryMb args override them.' },
];

type Draft = Record<string, string>;
const id = (field: Field) => `${field.section}.${field.key}`;

function humanize(field: Field, text: string): string {
  const value = Number(text);
  if (field.unit === 'ms' && Number.isFinite(value) && value >= 1000) {
    return value >= 60_000 ? `= ${+(value / 60_000).toFixed(2)} min` : `= ${+(value / 1000).toFixed(2)} s`;
  }
  if (field.unit === 'MB' && Number.isFinite(value) && value >= 1024) return `= ${+(value / 1024).toFixed(2)} GB`;
  return '';
}

function problem(field: Field, text: string): string | null {
  if (text.trim() === '') return 'Required';
  const value = Number(text);
  if (!Number.isFinite(value)) return 'Not a number';
  if (field.integer && !Number.isInteger(value)) return 'A whole number';
  if (value < field.min || value > field.max) return `Between ${field.min.toLocaleString('en')} and ${field.max.toLocaleString('en')} ${field.unit}`;
  return null;
}

/** The org's default limits of sandboxes and script containers. */
export function SettingsPage() {
  const settings = useApi<OrgSettings>('/api/settings');
  return (
    <div>
      <PageHeader title="Settings" />
      <Async state={settings}>{(data) => <SettingsForm settings={data} onSaved={settings.set} />}</Async>
    </div>
  );
}

function toDraft(settings: OrgSettings): Draft {
  return Object.fromEntries(FIELDS.map((field) => [id(field), String((settings[field.section] as Record<string, number>)[field.key] ?? '')]));
}

function SettingsForm({ settings, onSaved }: { settings: OrgSettings; onSaved(next: OrgSettings): void }) {
  const [draft, setDraft] = useState<Draft>(() => toDraft(settings));
  const [saved, setSaved] = useState(false);
  useEffect(() => setDraft(toDraft(settings)), [settings]);
  const original = toDraft(settings);
  const dirty = FIELDS.filter((field) => draft[id(field)] !== original[id(field)]);
  const problems = Object.fromEntries(FIELDS.map((field) => [id(field), problem(field, draft[id(field)] ?? '')]));
  const invalid = Object.values(problems).some(Boolean);
  const action = useAction(async (event: FormEvent) => {
    event.preventDefault();
    const body: Partial<Record<keyof OrgSettings, Record<string, number>>> = {};
    for (const field of dirty) (body[field.section] ??= {})[field.key] = Number(draft[id(field)]);
    const next = await patch<OrgSettings>('/api/settings', body);
    onSaved(next);
    setSaved(true);
  });
  return (
    <form className="stack" onSubmit={action.run} noValidate>
      {SECTIONS.map((section) => (
        <section key={section.id} className="card">
          <h2 style={{ marginTop: 0 }}>{section.title}</h2>
          <p className="muted" style={{ marginTop: 0 }}>
            {section.text}
          </p>
          <div className="admin-form-grid">
            {FIELDS.filter((field) => field.section === section.id).map((field) => {
              const key = id(field);
              const error = problems[key];
              return (
                <label key={key}>
                  {field.label}
                  <span className="admin-units">
                    <input
                      type="number"
                      inputMode={field.integer ? 'numeric' : 'decimal'}
                      min={field.min}
                      max={field.max}
                      step={field.step}
                      value={draft[key]}
                      aria-invalid={Boolean(error)}
                      onChange={(event) => {
                        setSaved(false);
                        setDraft((previous) => ({ ...previous, [key]: event.target.value }));
                      }}
                    />
                    <span className="muted">{field.unit}</span>
                    <span className="muted">{humanize(field, draft[key] ?? '')}</span>
                  </span>
                  {error ? <span className="admin-field-error">{error}</span> : <span className="muted">{field.help}</span>}
                </label>
              );
            })}
          </div>
        </section>
      ))}
      <ErrorBox error={action.error} />
      <div className="row">
        <button type="submit" disabled={action.busy || invalid || dirty.length === 0}>
          {action.busy ? 'Saving…' : 'Save settings'}
        </button>
        <button type="button" className="secondary" disabled={dirty.length === 0} onClick={() => setDraft(original)}>
          Discard changes
        </button>
        {saved && dirty.length === 0 && (
          <span className="ok" role="status">
            Saved.
          </span>
        )}
        {dirty.length > 0 && <span className="muted">{dirty.length} unsaved change{dirty.length === 1 ? '' : 's'}</span>}
      </div>
    </form>
  );
}

import Form from '@rjsf/core';
import { getDefaultFormState, type RJSFSchema, type UiSchema } from '@rjsf/utils';
import validator from '@rjsf/validator-ajv8';
import { useMemo, useState } from 'react';
import { api, ApiError, patch, post } from '../../app/api.js';
import type { Credential } from '../../app/types.js';
import { Async, Empty, ErrorBox, formatTime, Modal, PageHeader, useAction, useApi } from '../../app/ui.js';
import { ConfirmModal, type GroupInfo } from './common.js';

/** What the API answers in place of a stored secret; sent back, it keeps the stored value. */
const MASK = '********';

interface CredentialTypeInfo {
  type: string;
  name: string;
  schema: Record<string, unknown>;
  uiSchema?: Record<string, unknown>;
  secretFields?: string[];
  testable?: boolean;
}

type StoredCredential = Credential & { data: Record<string, unknown> | null; error?: string };
type TestResult = { ok: boolean; message: string };

/** Credentials of the org: encrypted at rest, secrets never shown again, tested on demand. */
export function CredentialsPage() {
  const credentials = useApi<StoredCredential[]>('/api/credentials');
  const types = useApi<CredentialTypeInfo[]>('/api/credential-types');
  const groups = useApi<GroupInfo[]>('/api/groups');
  const [editing, setEditing] = useState<StoredCredential | 'new' | null>(null);
  const [deleting, setDeleting] = useState<StoredCredential | null>(null);
  const [results, setResults] = useState<Record<string, TestResult | { error: string } | 'running'>>({});
  const typeOf = (type: string) => types.data?.find((candidate) => candidate.type === type);
  const groupName = (id: string | null | undefined) => (id ? (groups.data?.find((group) => group.id === id)?.name ?? 'unknown group') : null);

  const test = async (credential: StoredCredential) => {
    setResults((previous) => ({ ...previous, [credential.id]: 'running' }));
    try {
      const result = await post<TestResult>(`/api/credentials/${credential.id}/test`);
      setResults((previous) => ({ ...previous, [credential.id]: result }));
    } catch (error) {
      setResults((previous) => ({ ...previous, [credential.id]: { error: (error as Error).message } }));
    }
  };

  return (
    <div>
      <PageHeader title="Credentials">
        <button type="button" disabled={!types.data} onClick={() => setEditing('new')}>
          New credential
        </button>
      </PageHeader>
      <p className="muted">Stored encrypted. Secret fields are never shown again: they come back as {MASK}.</p>
      <ErrorBox error={types.error} onRetry={types.reload} />
      <Async state={credentials}>
        {(list) =>
          list.length === 0 ? (
            <Empty>No credential yet.</Empty>
          ) : (
            <table className="table">
              <thead>
                <tr>
                  <th>Name</th>
                  <th>Type</th>
                  <th>Group</th>
                  <th>Default</th>
                  <th>Updated</th>
                  <th>Test</th>
                  <th aria-label="Actions" />
                </tr>
              </thead>
              <tbody>
                {list.map((credential) => {
                  const result = results[credential.id];
                  return (
                    <tr key={credential.id} data-name={credential.name}>
                      <td className="admin-nowrap">
                        {credential.name}
                        {credential.error && <div className="admin-error-text">{credential.error}</div>}
                      </td>
                      <td>
                        {typeOf(credential.type)?.name ?? credential.type}
                        <div className="muted mono">{credential.type}</div>
                      </td>
                      <td className="admin-nowrap">{groupName(credential.groupId) ?? <span className="muted">org-wide</span>}</td>
                      <td>{credential.isDefault ? <span className="badge status-enabled">default</span> : <span className="muted">—</span>}</td>
                      <td className="admin-nowrap">{formatTime(credential.updatedAt)}</td>
                      <td className="admin-test-result" role="status" aria-label={`Test result of ${credential.name}`}>
                        {result === 'running' ? (
                          <span className="muted">Testing…</span>
                        ) : result && 'error' in result ? (
                          <span className="admin-result-fail">{result.error}</span>
                        ) : result ? (
                          <span className={result.ok ? 'admin-result-ok' : 'admin-result-fail'}>
                            {result.ok ? '✓ ' : '✗ '}
                            {result.message}
                          </span>
                        ) : (
                          <span className="muted">—</span>
                        )}
                      </td>
                      <td className="admin-actions">
                        <button type="button" className="secondary small" aria-label={`Test ${credential.name}`} disabled={result === 'running'} onClick={() => void test(credential)}>
                          Test
                        </button>
                        <button type="button" className="secondary small" aria-label={`Edit ${credential.name}`} disabled={!types.data} onClick={() => setEditing(credential)}>
                          Edit
                        </button>
                        <button type="button" className="secondary small" aria-label={`Delete ${credential.name}`} onClick={() => setDeleting(credential)}>
                          Delete
                        </button>
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          )
        }
      </Async>
      {editing && types.data && (
        <CredentialDialog
          credential={editing === 'new' ? null : editing}
          types={types.data}
          groups={groups.data ?? []}
          onClose={() => setEditing(null)}
          onSaved={() => {
            setEditing(null);
            credentials.reload();
          }}
        />
      )}
      {deleting && (
        <ConfirmModal
          title="Delete credential"
          confirmLabel="Delete credential"
          onClose={() => setDeleting(null)}
          onConfirm={async () => {
            await api('DELETE', `/api/credentials/${deleting.id}`);
            credentials.reload();
          }}
        >
          Delete <strong>{deleting.name}</strong>? Nodes that name it fail validation until they name another credential; published pipelines using it fail at run time.
        </ConfirmModal>
      )}
    </div>
  );
}

function humanize(key: string): string {
  const words = key.replace(/([a-z0-9])([A-Z])/g, '$1 $2').replace(/[_-]+/g, ' ').toLowerCase();
  return words.charAt(0).toUpperCase() + words.slice(1).replace(/\b(url|id|uri|api|oauth2?)\b/g, (word) => word.toUpperCase());
}

type Property = { type?: unknown; title?: string };
type SchemaNode = { properties?: Record<string, Property>; allOf?: SchemaNode[]; anyOf?: SchemaNode[]; oneOf?: SchemaNode[]; then?: SchemaNode; else?: SchemaNode };

/** Every property a credential schema declares: its own and those of its conditional branches (core.httpAuth declares each kind's fields in a `then`). */
function allProperties(schema: SchemaNode | undefined, found: Record<string, Property> = {}): Record<string, Property> {
  if (!schema || typeof schema !== 'object') return found;
  for (const [key, property] of Object.entries(schema.properties ?? {})) found[key] ??= property;
  for (const branch of [...(schema.allOf ?? []), ...(schema.anyOf ?? []), ...(schema.oneOf ?? []), schema.then, schema.else]) allProperties(branch, found);
  return found;
}

/**
 * A new credential's data: the type's defaults. Given up front, a default that picks a variant
 * (core.httpAuth's kind) shows that variant's fields from the start.
 */
function defaultsOf(type: CredentialTypeInfo | undefined): Record<string, unknown> {
  return type ? (getDefaultFormState(validator, type.schema as RJSFSchema, {}) as Record<string, unknown>) : {};
}

/** The type's uiSchema with every secret field a password input and readable labels. */
function uiSchemaOf(type: CredentialTypeInfo | undefined): UiSchema {
  const ui: Record<string, unknown> = { ...(type?.uiSchema ?? {}) };
  const properties = allProperties(type?.schema as SchemaNode | undefined);
  // Schemas without titles would show raw keys (clientSecret): turn them into words.
  for (const [key, property] of Object.entries(properties)) {
    if (!property.title && !(ui[key] as { 'ui:title'?: string } | undefined)?.['ui:title']) ui[key] = { ...(ui[key] as object), 'ui:title': humanize(key) };
  }
  for (const field of type?.secretFields ?? []) {
    if (properties[field]?.type === 'string') ui[field] = { ...(ui[field] as object), 'ui:widget': 'password' };
  }
  ui['ui:submitButtonOptions'] = { norender: true };
  return ui as UiSchema;
}

function CredentialDialog({ credential, types, groups, onClose, onSaved }: { credential: StoredCredential | null; types: CredentialTypeInfo[]; groups: GroupInfo[]; onClose(): void; onSaved(): void }) {
  const [name, setName] = useState(credential?.name ?? '');
  const [typeName, setTypeName] = useState(credential?.type ?? types[0]?.type ?? '');
  const [groupId, setGroupId] = useState(credential?.groupId ?? '');
  const [isDefault, setIsDefault] = useState(Boolean(credential?.isDefault));
  const type = types.find((candidate) => candidate.type === typeName);
  const secretFields = useMemo(() => new Set(type?.secretFields ?? []), [type]);
  const properties = useMemo(() => allProperties(type?.schema as SchemaNode | undefined), [type]);
  // Masked secrets that are not strings (lists of secrets) cannot be edited in place: left out, the server keeps them.
  const kept = credential?.data ? Object.keys(credential.data).filter((key) => credential.data![key] === MASK && secretFields.has(key) && properties[key]?.type !== 'string') : [];
  const [data, setData] = useState<Record<string, unknown>>(() => {
    if (!credential?.data) return defaultsOf(type);
    const copy = { ...credential.data };
    for (const key of kept) delete copy[key];
    return copy;
  });
  const [nameError, setNameError] = useState<string | null>(null);
  const masked = credential ? [...secretFields].filter((field) => credential.data?.[field] === MASK && properties[field]?.type === 'string') : [];
  const action = useAction(async (formData: Record<string, unknown>) => {
    if (!name.trim()) {
      setNameError('A name is required');
      throw new ApiError(400, 'invalid', 'Give the credential a name');
    }
    const sent = Object.fromEntries(Object.entries(formData).filter(([, value]) => value !== undefined && value !== ''));
    const body = { name: name.trim(), groupId: groupId || null, isDefault, data: sent };
    if (credential) await patch(`/api/credentials/${credential.id}`, body);
    else await post('/api/credentials', { ...body, type: typeName });
    onSaved();
  });
  return (
    <Modal title={credential ? `Edit ${credential.name}` : 'New credential'} onClose={onClose} wide>
      <div className="stack">
        <div className="admin-form-grid">
          <label>
            Name
            <input
              required
              autoFocus
              maxLength={200}
              value={name}
              aria-invalid={Boolean(nameError)}
              onChange={(event) => {
                setName(event.target.value);
                setNameError(null);
              }}
            />
            {nameError && <span className="admin-field-error">{nameError}</span>}
          </label>
          <label>
            Type
            <select
              value={typeName}
              disabled={Boolean(credential)}
              onChange={(event) => {
                setTypeName(event.target.value);
                setData(defaultsOf(types.find((candidate) => candidate.type === event.target.value)));
              }}
            >
              {types.map((candidate) => (
                <option key={candidate.type} value={candidate.type}>
                  {candidate.name} ({candidate.type})
                </option>
              ))}
            </select>
          </label>
          <label>
            Group
            <select value={groupId} onChange={(event) => setGroupId(event.target.value)}>
              <option value="">Org-wide (every group)</option>
              {groups.map((group) => (
                <option key={group.id} value={group.id}>
                  {group.name}
                </option>
              ))}
            </select>
          </label>
          <label className="inline" style={{ alignSelf: 'end', paddingBottom: 8 }}>
            <input type="checkbox" checked={isDefault} onChange={(event) => setIsDefault(event.target.checked)} />
            Default for its type
          </label>
        </div>
        {masked.length > 0 && (
          <p className="admin-notice info">
            Stored secrets ({masked.join(', ')}) are masked as {MASK}. Leave them masked to keep the stored values, or type new ones to replace them.
          </p>
        )}
        {kept.length > 0 && <p className="admin-notice info">The stored {kept.join(', ')} stay as they are unless you enter new values.</p>}
        {type ? (
          <div className="admin-rjsf">
            <Form
              key={type.type}
              schema={type.schema as RJSFSchema}
              uiSchema={uiSchemaOf(type)}
              formData={data}
              validator={validator}
              noHtml5Validate
              showErrorList={false}
              // Fields of a variant left behind (a token, then the kind changed to basic) are not sent.
              omitExtraData
              // A masked secret would fail its own pattern here; the server checks the merged value.
              noValidate={Boolean(credential)}
              idPrefix="credential"
              onChange={(event) => setData((event.formData ?? {}) as Record<string, unknown>)}
              onSubmit={(event) => void action.run((event.formData ?? {}) as Record<string, unknown>)}
            >
              <ErrorBox error={action.error} />
              <div className="row" style={{ marginTop: 12 }}>
                <span className="spacer" />
                <button type="button" className="secondary" onClick={onClose}>
                  Cancel
                </button>
                <button type="submit" disabled={action.busy}>
                  {action.busy ? 'Saving…' : credential ? 'Save credential' : 'Create credential'}
                </button>
              </div>
            </Form>
          </div>
        ) : (
          <p className="empty">No credential type is available.</p>
        )}
      </div>
    </Modal>
  );
}

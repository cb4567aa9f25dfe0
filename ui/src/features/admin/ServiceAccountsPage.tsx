import { useState, type FormEvent } from 'react';
import { api, post } from '../../app/api.js';
import { Async, Empty, formatTime, FormFooter, Modal, PageHeader, useAction, useApi } from '../../app/ui.js';
import { Checklist, ConfirmModal, type GroupInfo, type ServiceAccount } from './common.js';

type Created = ServiceAccount & { token: string };

/** Machine callers of the API: a bearer token acting in the groups it is given. */
export function ServiceAccountsPage() {
  const accounts = useApi<ServiceAccount[]>('/api/service-accounts');
  const groups = useApi<GroupInfo[]>('/api/groups');
  const [creating, setCreating] = useState(false);
  const [created, setCreated] = useState<Created | null>(null);
  const [deleting, setDeleting] = useState<ServiceAccount | null>(null);
  const groupName = (id: string) => groups.data?.find((group) => group.id === id)?.name ?? 'deleted group';

  return (
    <div>
      <PageHeader title="Service accounts">
        <button type="button" onClick={() => setCreating(true)}>
          New service account
        </button>
      </PageHeader>
      <p className="muted">A service account calls the API with a bearer token, for example from CI or another system, and may use the pipelines of its groups.</p>
      <Async state={accounts}>
        {(list) =>
          list.length === 0 ? (
            <Empty>No service account yet.</Empty>
          ) : (
            <table className="table">
              <thead>
                <tr>
                  <th>Name</th>
                  <th>Token</th>
                  <th>Groups</th>
                  <th>Created</th>
                  <th>Last used</th>
                  <th aria-label="Actions" />
                </tr>
              </thead>
              <tbody>
                {list.map((account) => (
                  <tr key={account.id}>
                    <td>{account.name}</td>
                    <td>
                      <code>{account.tokenPrefix}…</code>
                    </td>
                    <td>{account.groupIds.length ? account.groupIds.map(groupName).join(', ') : <span className="muted">none</span>}</td>
                    <td>{formatTime(account.createdAt)}</td>
                    <td>{account.lastUsedAt ? formatTime(account.lastUsedAt) : <span className="muted">never</span>}</td>
                    <td className="admin-actions">
                      <button type="button" className="secondary small" aria-label={`Delete ${account.name}`} onClick={() => setDeleting(account)}>
                        Delete
                      </button>
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          )
        }
      </Async>
      {creating && (
        <CreateDialog
          groups={groups.data ?? []}
          onClose={() => setCreating(false)}
          onCreated={(account) => {
            setCreating(false);
            setCreated(account);
            accounts.reload();
          }}
        />
      )}
      {created && <TokenDialog account={created} onClose={() => setCreated(null)} />}
      {deleting && (
        <ConfirmModal
          title="Delete service account"
          confirmLabel="Delete service account"
          onClose={() => setDeleting(null)}
          onConfirm={async () => {
            await api('DELETE', `/api/service-accounts/${deleting.id}`);
            accounts.reload();
          }}
        >
          Delete <strong>{deleting.name}</strong>? Its token stops working at once; whatever uses it will get 401 errors.
        </ConfirmModal>
      )}
    </div>
  );
}

function CreateDialog({ groups, onClose, onCreated }: { groups: GroupInfo[]; onClose(): void; onCreated(account: Created): void }) {
  const [name, setName] = useState('');
  const [selected, setSelected] = useState<Set<string>>(new Set());
  const action = useAction(async (event: FormEvent) => {
    event.preventDefault();
    onCreated(await post<Created>('/api/service-accounts', { name: name.trim(), groupIds: [...selected] }));
  });
  return (
    <Modal title="New service account" onClose={onClose}>
      <form className="stack" onSubmit={action.run}>
        <label>
          Name
          <input required autoFocus maxLength={200} value={name} placeholder="ci-deploys" onChange={(event) => setName(event.target.value)} />
        </label>
        <fieldset className="admin-fieldset">
          <legend>Groups</legend>
          <Checklist items={groups.map((group) => ({ id: group.id, label: group.name }))} selected={selected} onChange={setSelected} empty="No group exists yet." />
        </fieldset>
        <FormFooter error={action.error} busy={action.busy} onCancel={onClose}>
          {action.busy ? 'Creating…' : 'Create'}
        </FormFooter>
      </form>
    </Modal>
  );
}

/** The token, shown this once: it is stored hashed and cannot be shown again. */
function TokenDialog({ account, onClose }: { account: Created; onClose(): void }) {
  const [copied, setCopied] = useState<boolean | null>(null);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(account.token);
      setCopied(true);
    } catch {
      setCopied(false);
    }
  };
  return (
    <Modal title={`Token of ${account.name}`} onClose={onClose}>
      <div className="stack">
        <p className="admin-notice" role="alert">
          <strong>Copy this token now: it is shown only once.</strong> Piper keeps only a hash of it. Store it in a secret manager; anyone holding it can act as this service account.
        </p>
        <div className="admin-token">
          <textarea id="service-account-token" readOnly rows={2} value={account.token} aria-label="Token" spellCheck={false} onFocus={(event) => event.target.select()} />
          <button type="button" onClick={() => void copy()}>
            {copied ? 'Copied' : 'Copy'}
          </button>
        </div>
        {copied === false && <p className="admin-field-error">The browser refused the clipboard; select the token and copy it by hand.</p>}
        <p className="muted" style={{ margin: 0 }}>
          Use it as <code>Authorization: Bearer &lt;token&gt;</code>.
        </p>
        <div className="row">
          <span className="spacer" />
          <button type="button" onClick={onClose}>
            I have stored the token
          </button>
        </div>
      </div>
    </Modal>
  );
}

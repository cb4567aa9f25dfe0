import { useMemo, useState, type FormEvent } from 'react';
import { api, patch, post, put } from '../../app/api.js';
import { useUser } from '../../app/auth.js';
import type { Role, User } from '../../app/types.js';
import { Async, Empty, ErrorBox, formatTime, FormFooter, Modal, PageHeader, Spinner, useAction, useApi } from '../../app/ui.js';
import { Checklist, ConfirmModal } from './common.js';

const ROLES: Array<{ value: Role; label: string }> = [
  { value: 'admin', label: 'Admin' },
  { value: 'manager', label: 'Manager' },
  { value: 'client', label: 'Client' },
];

type Dialog = { kind: 'create' } | { kind: 'edit'; user: User } | { kind: 'delete'; user: User } | { kind: 'clients'; user: User };

/** The org's users: create, edit, disable, delete, and the clients each manager serves. */
export function UsersPage() {
  const me = useUser();
  const users = useApi<User[]>('/api/users');
  const [dialog, setDialog] = useState<Dialog | null>(null);
  const [filter, setFilter] = useState('');
  const close = () => setDialog(null);
  const needle = filter.trim().toLowerCase();

  return (
    <div>
      <PageHeader title="Users">
        <label className="inline">
          <span className="sr-only">Search users</span>
          <input type="search" placeholder="Search name or email" value={filter} onChange={(event) => setFilter(event.target.value)} />
        </label>
        <button type="button" onClick={() => setDialog({ kind: 'create' })}>
          New user
        </button>
      </PageHeader>
      <Async state={users}>
        {(list) => {
          const shown = needle ? list.filter((user) => `${user.name} ${user.email}`.toLowerCase().includes(needle)) : list;
          if (shown.length === 0) return <Empty>{needle ? 'No user matches this search.' : 'No user yet.'}</Empty>;
          return (
            <table className="table">
              <thead>
                <tr>
                  <th>Name</th>
                  <th>Email</th>
                  <th>Role</th>
                  <th>Status</th>
                  <th>Created</th>
                  <th aria-label="Actions" />
                </tr>
              </thead>
              <tbody>
                {shown.map((user) => (
                  <tr key={user.id} data-email={user.email}>
                    <td>
                      {user.name}
                      {user.id === me.id && <span className="muted"> (you)</span>}
                    </td>
                    <td>{user.email}</td>
                    <td>
                      {user.role}
                      {user.instanceAdmin && <span className="badge admin-badge-gap">instance admin</span>}
                    </td>
                    <td>
                      <span className={`badge status-${user.disabled ? 'disabled' : 'enabled'}`}>{user.disabled ? 'disabled' : 'active'}</span>
                    </td>
                    <td>{formatTime(user.createdAt)}</td>
                    <td className="admin-actions">
                      {user.role === 'manager' && (
                        <button type="button" className="secondary small" onClick={() => setDialog({ kind: 'clients', user })} aria-label={`Clients of ${user.email}`}>
                          Clients
                        </button>
                      )}
                      <button type="button" className="secondary small" onClick={() => setDialog({ kind: 'edit', user })} aria-label={`Edit ${user.email}`}>
                        Edit
                      </button>
                      {user.id !== me.id && (
                        <button type="button" className="secondary small" onClick={() => setDialog({ kind: 'delete', user })} aria-label={`Delete ${user.email}`}>
                          Delete
                        </button>
                      )}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          );
        }}
      </Async>
      {dialog?.kind === 'create' && <CreateUser onClose={close} onDone={users.reload} />}
      {dialog?.kind === 'edit' && <EditUser user={dialog.user} self={dialog.user.id === me.id} onClose={close} onDone={users.reload} />}
      {dialog?.kind === 'clients' && users.data && <ClientsEditor manager={dialog.user} users={users.data} onClose={close} />}
      {dialog?.kind === 'delete' && (
        <ConfirmModal
          title="Delete user"
          confirmLabel="Delete user"
          onClose={close}
          onConfirm={async () => {
            await api('DELETE', `/api/users/${dialog.user.id}`);
            users.reload();
          }}
        >
          Delete <strong>{dialog.user.name}</strong> ({dialog.user.email})? Their sessions end at once, and they lose their group memberships and client assignments. This cannot be undone.
        </ConfirmModal>
      )}
    </div>
  );
}

function CreateUser({ onClose, onDone }: { onClose(): void; onDone(): void }) {
  const [name, setName] = useState('');
  const [email, setEmail] = useState('');
  const [role, setRole] = useState<Role>('client');
  const [password, setPassword] = useState('');
  const action = useAction(async (event: FormEvent) => {
    event.preventDefault();
    await post('/api/users', { name: name.trim(), email: email.trim(), role, password });
    onDone();
    onClose();
  });
  return (
    <Modal title="New user" onClose={onClose}>
      <form className="stack" onSubmit={action.run}>
        <label>
          Name
          <input required autoFocus maxLength={200} value={name} onChange={(event) => setName(event.target.value)} />
        </label>
        <label>
          Email
          <input required type="email" maxLength={254} value={email} onChange={(event) => setEmail(event.target.value)} />
        </label>
        <label>
          Role
          <select value={role} onChange={(event) => setRole(event.target.value as Role)}>
            {ROLES.map((option) => (
              <option key={option.value} value={option.value}>
                {option.label}
              </option>
            ))}
          </select>
        </label>
        <label>
          Initial password
          <input required type="password" autoComplete="new-password" maxLength={1024} value={password} onChange={(event) => setPassword(event.target.value)} />
          <span className="muted">Tell the user to change it after their first sign-in.</span>
        </label>
        <FormFooter error={action.error} busy={action.busy} onCancel={onClose}>
          {action.busy ? 'Creating…' : 'Create user'}
        </FormFooter>
      </form>
    </Modal>
  );
}

function EditUser({ user, self, onClose, onDone }: { user: User; self: boolean; onClose(): void; onDone(): void }) {
  const [name, setName] = useState(user.name);
  const [role, setRole] = useState<Role>(user.role);
  const [disabled, setDisabled] = useState(user.disabled);
  const action = useAction(async (event: FormEvent) => {
    event.preventDefault();
    const changes: Record<string, unknown> = {};
    if (name.trim() !== user.name) changes.name = name.trim();
    if (role !== user.role) changes.role = role;
    if (disabled !== user.disabled) changes.disabled = disabled;
    if (Object.keys(changes).length) await patch(`/api/users/${user.id}`, changes);
    onDone();
    onClose();
  });
  return (
    <Modal title={`Edit ${user.email}`} onClose={onClose}>
      <form className="stack" onSubmit={action.run}>
        <label>
          Name
          <input required autoFocus maxLength={200} value={name} onChange={(event) => setName(event.target.value)} />
        </label>
        <label>
          Role
          <select value={role} disabled={self} onChange={(event) => setRole(event.target.value as Role)}>
            {ROLES.map((option) => (
              <option key={option.value} value={option.value}>
                {option.label}
              </option>
            ))}
          </select>
        </label>
        {role !== user.role && (
          <p className="admin-notice">
            Changing the role ends the user's sessions
            {user.role === 'manager' || user.role === 'client' ? ` and removes their client assignments` : ''}.
          </p>
        )}
        <label className="inline">
          <input type="checkbox" checked={disabled} disabled={self} onChange={(event) => setDisabled(event.target.checked)} />
          Disabled (cannot sign in; their sessions end)
        </label>
        {self && <p className="muted">You cannot change your own role or disable yourself.</p>}
        <FormFooter error={action.error} busy={action.busy} onCancel={onClose}>
          {action.busy ? 'Saving…' : 'Save'}
        </FormFooter>
      </form>
    </Modal>
  );
}

/** The clients a manager serves: every client of the org as a checkbox. */
function ClientsEditor({ manager, users, onClose }: { manager: User; users: User[]; onClose(): void }) {
  const assigned = useApi<User[]>(`/api/users/${manager.id}/clients`);
  const [selected, setSelected] = useState<Set<string> | null>(null);
  const clients = useMemo(() => users.filter((user) => user.role === 'client'), [users]);
  const current = selected ?? new Set((assigned.data ?? []).map((client) => client.id));
  const action = useAction(async (event: FormEvent) => {
    event.preventDefault();
    await put(`/api/users/${manager.id}/clients`, { clientIds: [...current] });
    onClose();
  });
  return (
    <Modal title={`Clients of ${manager.name}`} onClose={onClose}>
      {assigned.loading && !assigned.data ? (
        <Spinner />
      ) : assigned.error && !assigned.data ? (
        <ErrorBox error={assigned.error} onRetry={assigned.reload} />
      ) : (
        <form className="stack" onSubmit={action.run}>
          <p className="muted">
            {manager.email} sees these clients and their results, and builds pipelines for them.
          </p>
          <Checklist
            items={clients.map((client) => ({ id: client.id, label: client.email, hint: client.disabled ? `${client.name}, disabled` : client.name }))}
            selected={current}
            onChange={setSelected}
            empty="The org has no client user yet. Create one with the role Client first."
          />
          <ErrorBox error={action.error} />
          <div className="row">
            <span className="spacer" />
            <button type="button" className="secondary" onClick={onClose}>
              Cancel
            </button>
            <button type="submit" disabled={action.busy || clients.length === 0}>
              {action.busy ? 'Saving…' : 'Save assignments'}
            </button>
          </div>
        </form>
      )}
    </Modal>
  );
}

import { useState, type FormEvent } from 'react';
import { api, patch, post, put } from '../../app/api.js';
import type { User } from '../../app/types.js';
import { Async, Empty, formatTime, FormFooter, type Loaded, Modal, PageHeader, useAction, useApi } from '../../app/ui.js';
import { Checklist, ConfirmModal, type GroupInfo } from './common.js';

type Dialog = { kind: 'create' } | { kind: 'rename'; group: GroupInfo } | { kind: 'members'; group: GroupInfo } | { kind: 'delete'; group: GroupInfo };

/** Groups hold pipelines and the managers who work on them. */
export function GroupsPage() {
  const groups = useApi<GroupInfo[]>('/api/groups');
  const users = useApi<User[]>('/api/users');
  const [dialog, setDialog] = useState<Dialog | null>(null);
  const close = () => setDialog(null);
  const nameOf = (id: string) => users.data?.find((user) => user.id === id)?.name ?? 'unknown user';

  return (
    <div>
      <PageHeader title="Groups">
        <button type="button" onClick={() => setDialog({ kind: 'create' })}>
          New group
        </button>
      </PageHeader>
      <p className="muted">A group holds pipelines; its members (managers) build and run them. Service accounts act in the groups they are given.</p>
      <Async state={groups}>
        {(list) =>
          list.length === 0 ? (
            <Empty>No group yet.</Empty>
          ) : (
            <table className="table">
              <thead>
                <tr>
                  <th>Name</th>
                  <th>Description</th>
                  <th>Members</th>
                  <th>Created</th>
                  <th aria-label="Actions" />
                </tr>
              </thead>
              <tbody>
                {list.map((group) => (
                  <tr key={group.id}>
                    <td>{group.name}</td>
                    <td>{group.description || <span className="muted">—</span>}</td>
                    <td>
                      {group.memberIds.length === 0 ? (
                        <span className="muted">none</span>
                      ) : (
                        <span title={group.memberIds.map(nameOf).join(', ')}>
                          {group.memberIds.length <= 3 ? group.memberIds.map(nameOf).join(', ') : `${group.memberIds.length} members`}
                        </span>
                      )}
                    </td>
                    <td>{formatTime(group.createdAt)}</td>
                    <td className="admin-actions">
                      <button type="button" className="secondary small" aria-label={`Members of ${group.name}`} onClick={() => setDialog({ kind: 'members', group })}>
                        Members
                      </button>
                      <button type="button" className="secondary small" aria-label={`Rename ${group.name}`} onClick={() => setDialog({ kind: 'rename', group })}>
                        Rename
                      </button>
                      <button type="button" className="secondary small" aria-label={`Delete ${group.name}`} onClick={() => setDialog({ kind: 'delete', group })}>
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
      {(dialog?.kind === 'create' || dialog?.kind === 'rename') && (
        <GroupForm group={dialog.kind === 'rename' ? dialog.group : undefined} onClose={close} onDone={groups.reload} />
      )}
      {dialog?.kind === 'members' && <MembersEditor group={dialog.group} users={users} onClose={close} onDone={groups.reload} />}
      {dialog?.kind === 'delete' && (
        <ConfirmModal
          title="Delete group"
          confirmLabel="Delete group"
          onClose={close}
          onConfirm={async () => {
            await api('DELETE', `/api/groups/${dialog.group.id}`);
            groups.reload();
          }}
        >
          Delete the group <strong>{dialog.group.name}</strong>? A group that still holds pipelines cannot be deleted: move or delete them first.
        </ConfirmModal>
      )}
    </div>
  );
}

function GroupForm({ group, onClose, onDone }: { group?: GroupInfo; onClose(): void; onDone(): void }) {
  const [name, setName] = useState(group?.name ?? '');
  const [description, setDescription] = useState(group?.description ?? '');
  const action = useAction(async (event: FormEvent) => {
    event.preventDefault();
    const body = { name: name.trim(), description: description.trim() || null };
    if (group) await patch(`/api/groups/${group.id}`, body);
    else await post('/api/groups', body);
    onDone();
    onClose();
  });
  return (
    <Modal title={group ? `Rename ${group.name}` : 'New group'} onClose={onClose}>
      <form className="stack" onSubmit={action.run}>
        <label>
          Name
          <input required autoFocus maxLength={200} value={name} onChange={(event) => setName(event.target.value)} />
        </label>
        <label>
          <span>
            Description <span className="muted">(optional)</span>
          </span>
          <textarea rows={3} maxLength={2000} value={description} onChange={(event) => setDescription(event.target.value)} />
        </label>
        <FormFooter error={action.error} busy={action.busy} onCancel={onClose}>
          {action.busy ? 'Saving…' : group ? 'Save' : 'Create group'}
        </FormFooter>
      </form>
    </Modal>
  );
}

function MembersEditor({ group, users, onClose, onDone }: { group: GroupInfo; users: Loaded<User[]>; onClose(): void; onDone(): void }) {
  const [selected, setSelected] = useState(() => new Set(group.memberIds));
  const action = useAction(async (event: FormEvent) => {
    event.preventDefault();
    await put(`/api/groups/${group.id}/members`, { userIds: [...selected] });
    onDone();
    onClose();
  });
  return (
    <Modal title={`Members of ${group.name}`} onClose={onClose}>
      <Async state={users}>
        {(list) => (
          <form className="stack" onSubmit={action.run}>
            <Checklist
              items={list.map((user) => ({ id: user.id, label: user.email, hint: `${user.name}, ${user.role}` }))}
              selected={selected}
              onChange={setSelected}
              empty="The org has no user yet."
            />
            <FormFooter error={action.error} busy={action.busy} onCancel={onClose}>
              {action.busy ? 'Saving…' : 'Save members'}
            </FormFooter>
          </form>
        )}
      </Async>
    </Modal>
  );
}

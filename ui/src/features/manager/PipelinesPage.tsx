import { useMemo, useState, type FormEvent } from 'react';
import { Link, useNavigate, useSearchParams } from 'react-router-dom';
import { post, query } from '../../app/api.js';
import { useUser } from '../../app/auth.js';
import type { Group, Pipeline, User } from '../../app/types.js';
import { Async, Empty, formatTime, FormFooter, Modal, PageHeader, useAction, useApi } from '../../app/ui.js';

/** The manager's workspace: assigned clients, groups, and the pipelines of those groups. */
export function PipelinesPage() {
  const user = useUser();
  const [params, setParams] = useSearchParams();
  const groupId = params.get('groupId') ?? '';
  const clientId = params.get('clientId') ?? '';
  const groups = useApi<Group[]>('/api/groups');
  const users = useApi<User[]>('/api/users');
  const pipelines = useApi<Pipeline[]>(`/api/pipelines${query({ groupId, clientId })}`);
  const [creating, setCreating] = useState(false);
  const clients = useMemo(() => (users.data ?? []).filter((candidate) => candidate.role === 'client'), [users.data]);
  const groupName = (id: string) => groups.data?.find((group) => group.id === id)?.name ?? '—';
  const clientName = (id: string | null) => (id ? (clients.find((client) => client.id === id)?.name ?? 'another client') : '—');
  const setFilter = (key: string, value: string) => {
    const next = new URLSearchParams(params);
    if (value) next.set(key, value);
    else next.delete(key);
    setParams(next, { replace: true });
  };

  return (
    <div>
      <PageHeader title="Pipelines">
        <Link className="button secondary" to="/manager/runs">
          Run history
        </Link>
        <button type="button" onClick={() => setCreating(true)} disabled={!groups.data?.length}>
          New pipeline
        </button>
      </PageHeader>
      <div className="grid-2" style={{ marginBottom: 16 }}>
        <section className="card">
          <h3 style={{ marginTop: 0 }}>{user.role === 'admin' ? 'Clients' : 'Your clients'}</h3>
          <Async state={users}>
            {() =>
              clients.length === 0 ? (
                <Empty>No client is assigned to you yet. An org admin assigns them.</Empty>
              ) : (
                <div className="row">
                  {clients.map((client) => (
                    <button key={client.id} type="button" className={`secondary small${clientId === client.id ? ' selected' : ''}`} onClick={() => setFilter('clientId', clientId === client.id ? '' : client.id)}>
                      {client.name}
                    </button>
                  ))}
                </div>
              )
            }
          </Async>
        </section>
        <section className="card">
          <h3 style={{ marginTop: 0 }}>{user.role === 'admin' ? 'Groups' : 'Your groups'}</h3>
          <Async state={groups}>
            {(list) =>
              list.length === 0 ? (
                <Empty>You belong to no group yet, so you cannot create pipelines. An org admin adds you to one.</Empty>
              ) : (
                <div className="row">
                  {list.map((group) => (
                    <button key={group.id} type="button" className={`secondary small${groupId === group.id ? ' selected' : ''}`} onClick={() => setFilter('groupId', groupId === group.id ? '' : group.id)}>
                      {group.name}
                    </button>
                  ))}
                </div>
              )
            }
          </Async>
        </section>
      </div>
      <Async state={pipelines}>
        {(list) =>
          list.length === 0 ? (
            <Empty>{groupId || clientId ? 'No pipeline matches these filters.' : 'No pipeline yet. Create one to open the editor.'}</Empty>
          ) : (
            <table className="table">
              <thead>
                <tr>
                  <th>Name</th>
                  <th>Group</th>
                  <th>Client</th>
                  <th>Published</th>
                  <th>Triggers</th>
                  <th>Nodes</th>
                  <th>Updated</th>
                </tr>
              </thead>
              <tbody>
                {list.map((pipeline) => (
                  <tr key={pipeline.id}>
                    <td>
                      <Link to={`/manager/pipelines/${pipeline.id}`}>{pipeline.name}</Link>
                    </td>
                    <td>{groupName(pipeline.groupId)}</td>
                    <td>{clientName(pipeline.clientId)}</td>
                    <td>{pipeline.latestVersion ? `v${pipeline.latestVersion}` : <span className="muted">draft only</span>}</td>
                    <td>
                      <span className={`badge status-${pipeline.enabled ? 'enabled' : 'disabled'}`}>{pipeline.enabled ? 'enabled' : 'disabled'}</span>
                    </td>
                    <td>{pipeline.nodeCount ?? '—'}</td>
                    <td>{formatTime(pipeline.updatedAt)}</td>
                  </tr>
                ))}
              </tbody>
            </table>
          )
        }
      </Async>
      {creating && groups.data && <NewPipeline groups={groups.data} clients={clients} defaultGroupId={groupId} defaultClientId={clientId} onClose={() => setCreating(false)} />}
    </div>
  );
}

function NewPipeline({ groups, clients, defaultGroupId, defaultClientId, onClose }: { groups: Group[]; clients: User[]; defaultGroupId: string; defaultClientId: string; onClose(): void }) {
  const navigate = useNavigate();
  const [name, setName] = useState('');
  const [description, setDescription] = useState('');
  const [groupId, setGroupId] = useState(defaultGroupId || groups[0]!.id);
  const [clientId, setClientId] = useState(defaultClientId);
  const action = useAction(async (event: FormEvent) => {
    event.preventDefault();
    const created = await post<Pipeline>('/api/pipelines', {
      name,
      groupId,
      ...(clientId ? { clientId } : {}),
      ...(description ? { description } : {}),
      graph: { nodes: [], edges: [] },
    });
    navigate(`/manager/pipelines/${created.id}`);
  });
  return (
    <Modal title="New pipeline" onClose={onClose}>
      <form className="stack" onSubmit={action.run}>
        <label>
          Name
          <input required autoFocus maxLength={200} value={name} onChange={(event) => setName(event.target.value)} />
        </label>
        <label>
          Group
          <select value={groupId} onChange={(event) => setGroupId(event.target.value)}>
            {groups.map((group) => (
              <option key={group.id} value={group.id}>
                {group.name}
              </option>
            ))}
          </select>
        </label>
        <label>
          Made for client
          <select value={clientId} onChange={(event) => setClientId(event.target.value)}>
            <option value="">No client</option>
            {clients.map((client) => (
              <option key={client.id} value={client.id}>
                {client.name} ({client.email})
              </option>
            ))}
          </select>
        </label>
        <label>
          Description
          <textarea rows={2} value={description} onChange={(event) => setDescription(event.target.value)} />
        </label>
        <FormFooter error={action.error} busy={action.busy} onCancel={onClose}>
          Create and open
        </FormFooter>
      </form>
    </Modal>
  );
}

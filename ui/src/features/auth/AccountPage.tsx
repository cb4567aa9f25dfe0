import { useState, type FormEvent } from 'react';
import { post } from '../../app/api.js';
import { useAuth, useUser } from '../../app/auth.js';
import { ErrorBox, PageHeader, useAction } from '../../app/ui.js';

export function AccountPage() {
  const user = useUser();
  const { me } = useAuth();
  const [currentPassword, setCurrent] = useState('');
  const [newPassword, setNew] = useState('');
  const [confirm, setConfirm] = useState('');
  const [done, setDone] = useState(false);
  const action = useAction(async (event: FormEvent) => {
    event.preventDefault();
    setDone(false);
    if (newPassword !== confirm) throw new Error('The two new passwords differ.');
    await post('/api/auth/password', { currentPassword, newPassword });
    setCurrent('');
    setNew('');
    setConfirm('');
    setDone(true);
  });
  return (
    <div className="narrow">
      <PageHeader title="Your account" />
      <dl className="facts">
        <dt>Name</dt>
        <dd>{user.name}</dd>
        <dt>Email</dt>
        <dd>{user.email}</dd>
        <dt>Role</dt>
        <dd>{user.role}</dd>
        <dt>Organization</dt>
        <dd>{me?.org.name}</dd>
      </dl>
      <h2>Change your password</h2>
      <form onSubmit={action.run} className="stack">
        <label>
          Current password
          <input type="password" autoComplete="current-password" required value={currentPassword} onChange={(event) => setCurrent(event.target.value)} />
        </label>
        <label>
          New password
          <input type="password" autoComplete="new-password" required minLength={8} value={newPassword} onChange={(event) => setNew(event.target.value)} />
        </label>
        <label>
          Repeat the new password
          <input type="password" autoComplete="new-password" required value={confirm} onChange={(event) => setConfirm(event.target.value)} />
        </label>
        <ErrorBox error={action.error} />
        {done && <p className="ok">Password changed. Your other sessions have ended.</p>}
        <button type="submit" disabled={action.busy}>
          Change password
        </button>
      </form>
    </div>
  );
}

import { useState, type FormEvent } from 'react';
import { Link, Navigate, useNavigate, useSearchParams } from 'react-router-dom';
import { post } from '../../app/api.js';
import { homeOf, useAuth } from '../../app/auth.js';
import { ErrorBox, useAction } from '../../app/ui.js';

function AuthCard({ title, children }: { title: string; children: React.ReactNode }) {
  return (
    <div className="auth-page">
      <div className="auth-card">
        <div className="brand big">Piper</div>
        <h1>{title}</h1>
        {children}
      </div>
    </div>
  );
}

export function LoginPage() {
  const { me, login } = useAuth();
  const navigate = useNavigate();
  const [params] = useSearchParams();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const action = useAction(async (event: FormEvent) => {
    event.preventDefault();
    const user = await login(email, password);
    const next = params.get('next');
    navigate(next && next.startsWith('/') && !next.startsWith('//') ? next : homeOf(user), { replace: true });
  });
  if (me?.user && !action.busy) return <Navigate to={homeOf(me.user)} replace />;
  return (
    <AuthCard title="Sign in">
      <form onSubmit={action.run} className="stack">
        <label>
          Email
          <input type="email" autoComplete="username" required autoFocus value={email} onChange={(event) => setEmail(event.target.value)} />
        </label>
        <label>
          Password
          <input type="password" autoComplete="current-password" required value={password} onChange={(event) => setPassword(event.target.value)} />
        </label>
        <ErrorBox error={action.error} />
        <button type="submit" disabled={action.busy}>
          {action.busy ? 'Signing in…' : 'Sign in'}
        </button>
        <Link to="/forgot-password">Forgot your password?</Link>
      </form>
    </AuthCard>
  );
}

export function ForgotPage() {
  const [email, setEmail] = useState('');
  const [sent, setSent] = useState(false);
  const action = useAction(async (event: FormEvent) => {
    event.preventDefault();
    await post('/api/auth/forgot', { email });
    setSent(true);
  });
  return (
    <AuthCard title="Reset your password">
      {sent ? (
        <p>If an account uses {email}, a link to choose a new password is on its way. It works once and expires soon.</p>
      ) : (
        <form onSubmit={action.run} className="stack">
          <label>
            Email
            <input type="email" required autoFocus value={email} onChange={(event) => setEmail(event.target.value)} />
          </label>
          <ErrorBox error={action.error} />
          <button type="submit" disabled={action.busy}>
            Send the link
          </button>
        </form>
      )}
      <Link to="/login">Back to sign in</Link>
    </AuthCard>
  );
}

export function ResetPage() {
  const [params] = useSearchParams();
  const token = params.get('token') ?? '';
  const [password, setPassword] = useState('');
  const [confirm, setConfirm] = useState('');
  const [done, setDone] = useState(false);
  const action = useAction(async (event: FormEvent) => {
    event.preventDefault();
    if (password !== confirm) throw new Error('The two passwords differ.');
    await post('/api/auth/reset', { token, newPassword: password });
    setDone(true);
  });
  return (
    <AuthCard title="Choose a new password">
      {!token ? (
        <p>This link has no reset token. Ask for a new link.</p>
      ) : done ? (
        <p>Your password is changed and every session of your account has ended.</p>
      ) : (
        <form onSubmit={action.run} className="stack">
          <label>
            New password
            <input type="password" autoComplete="new-password" required minLength={8} value={password} onChange={(event) => setPassword(event.target.value)} />
          </label>
          <label>
            Repeat it
            <input type="password" autoComplete="new-password" required value={confirm} onChange={(event) => setConfirm(event.target.value)} />
          </label>
          <ErrorBox error={action.error} />
          <button type="submit" disabled={action.busy}>
            Set the password
          </button>
        </form>
      )}
      <Link to="/login">Sign in</Link>
    </AuthCard>
  );
}

import { NavLink, Outlet, useNavigate } from 'react-router-dom';
import { useAuth, useUser } from './auth.js';

const NAV = {
  admin: [
    ['/admin/users', 'Users'],
    ['/admin/groups', 'Groups'],
    ['/admin/plugins', 'Plugins'],
    ['/admin/node-types', 'Script nodes'],
    ['/admin/credentials', 'Credentials'],
    ['/admin/service-accounts', 'Service accounts'],
    ['/admin/audit', 'Audit log'],
    ['/admin/settings', 'Settings'],
    ['/manager', 'Pipelines'],
    ['/manager/runs', 'Runs'],
  ],
  manager: [
    ['/manager', 'Pipelines'],
    ['/manager/runs', 'Runs'],
  ],
  client: [['/client', 'My results']],
} as const;

/** The frame of every signed-in page: the org, the role's sections, the account menu. */
export function Layout() {
  const user = useUser();
  const { me, logout } = useAuth();
  const navigate = useNavigate();
  return (
    <div className="shell">
      <header className="topbar">
        <span className="brand">Piper</span>
        <span className="org" title="Organization">
          {me?.org.name}
        </span>
        <nav aria-label="Sections">
          {NAV[user.role].map(([to, label]) => (
            <NavLink key={to} to={to} end={to === '/manager' || to === '/client'}>
              {label}
            </NavLink>
          ))}
        </nav>
        <div className="account">
          <NavLink to="/account" title="Account and password">
            {user.name} <span className="muted">({user.role})</span>
          </NavLink>
          <button
            type="button"
            className="secondary small"
            onClick={async () => {
              await logout();
              navigate('/login');
            }}
          >
            Log out
          </button>
        </div>
      </header>
      <main className="content">
        <Outlet />
      </main>
    </div>
  );
}

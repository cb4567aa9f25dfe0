import { lazy, Suspense, type ReactNode } from 'react';
import { BrowserRouter, Navigate, Route, Routes, useLocation } from 'react-router-dom';
import { AccountPage } from '../features/auth/AccountPage.js';
import { ForgotPage, LoginPage, ResetPage } from '../features/auth/LoginPage.js';
import { prefetch } from './api.js';
import { AuthProvider, homeOf, useAuth } from './auth.js';
import { Layout } from './Layout.js';
import type { Role } from './types.js';
import { Spinner } from './ui.js';

const sections = {
  admin: () => import('../features/admin/AdminRoutes.js'),
  manager: () => import('../features/manager/ManagerRoutes.js'),
  client: () => import('../features/client/ClientRoutes.js'),
};
// The section of the address starts loading with the session check instead of after it.
const opening = /^\/(admin|manager|client)(\/|$)/.exec(window.location.pathname)?.[1] as keyof typeof sections | undefined;
if (opening) void sections[opening]();
// A pipeline opened by its address: its data loads while the editor's code does.
const openingPipeline = /^\/manager\/pipelines\/([0-9a-f-]{36})$/.exec(window.location.pathname)?.[1];
if (openingPipeline) {
  prefetch(`/api/pipelines/${openingPipeline}`);
  prefetch('/api/node-types');
}

const AdminRoutes = lazy(sections.admin);
const ManagerRoutes = lazy(sections.manager);
const ClientRoutes = lazy(sections.client);

/** Shows its children to the given roles; the server enforces access, this only hides. */
function Guard({ roles, children }: { roles: Role[]; children: ReactNode }) {
  const { me, loading } = useAuth();
  const location = useLocation();
  if (loading) return <Spinner />;
  if (!me?.user) return <Navigate to={`/login?next=${encodeURIComponent(location.pathname + location.search)}`} replace />;
  if (!roles.includes(me.user.role)) return <Navigate to={homeOf(me.user)} replace />;
  return <>{children}</>;
}

function Home() {
  const { me, loading } = useAuth();
  if (loading) return <Spinner />;
  return <Navigate to={me?.user ? homeOf(me.user) : '/login'} replace />;
}

export function App() {
  return (
    <AuthProvider>
      <BrowserRouter>
        <Routes>
          <Route path="/login" element={<LoginPage />} />
          <Route path="/forgot-password" element={<ForgotPage />} />
          <Route path="/reset-password" element={<ResetPage />} />
          <Route
            element={
              <Guard roles={['admin', 'manager', 'client']}>
                <Layout />
              </Guard>
            }
          >
            <Route path="/account" element={<AccountPage />} />
            <Route path="/admin/*" element={<Lazy roles={['admin']} element={<AdminRoutes />} />} />
            <Route path="/manager/*" element={<Lazy roles={['admin', 'manager']} element={<ManagerRoutes />} />} />
            <Route path="/client/*" element={<Lazy roles={['client']} element={<ClientRoutes />} />} />
          </Route>
          <Route path="*" element={<Home />} />
        </Routes>
      </BrowserRouter>
    </AuthProvider>
  );
}

function Lazy({ roles, element }: { roles: Role[]; element: ReactNode }) {
  return (
    <Guard roles={roles}>
      <Suspense fallback={<Spinner />}>{element}</Suspense>
    </Guard>
  );
}

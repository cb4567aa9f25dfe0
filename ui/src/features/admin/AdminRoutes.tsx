import { Navigate, Route, Routes } from 'react-router-dom';
import { AuditPage } from './AuditPage.js';
import { CredentialsPage } from './CredentialsPage.js';
import { GroupsPage } from './GroupsPage.js';
import { NodeTypesPage } from './NodeTypesPage.js';
import { PluginsPage } from './PluginsPage.js';
import { ServiceAccountsPage } from './ServiceAccountsPage.js';
import { SettingsPage } from './SettingsPage.js';
import { UsersPage } from './UsersPage.js';
import './admin.css';

/** The org admin console: one page per section of the top bar. */
export default function AdminRoutes() {
  return (
    <Routes>
      <Route index element={<Navigate to="/admin/users" replace />} />
      <Route path="users" element={<UsersPage />} />
      <Route path="groups" element={<GroupsPage />} />
      <Route path="plugins" element={<PluginsPage />} />
      <Route path="node-types/*" element={<NodeTypesPage />} />
      <Route path="credentials" element={<CredentialsPage />} />
      <Route path="service-accounts" element={<ServiceAccountsPage />} />
      <Route path="audit" element={<AuditPage />} />
      <Route path="settings" element={<SettingsPage />} />
      <Route path="*" element={<Navigate to="/admin/users" replace />} />
    </Routes>
  );
}

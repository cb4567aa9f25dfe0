import { Route, Routes } from 'react-router-dom';
import { ClientRunPage } from './ClientRunPage.js';
import { MyResultsPage } from './MyResultsPage.js';

/** The client portal: the results of the production runs made for the signed-in client, read-only. */
export default function ClientRoutes() {
  return (
    <Routes>
      <Route index element={<MyResultsPage />} />
      <Route path="runs/:id" element={<ClientRunPage />} />
      <Route path="*" element={<MyResultsPage />} />
    </Routes>
  );
}

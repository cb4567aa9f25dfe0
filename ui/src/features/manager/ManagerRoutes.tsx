import { lazy, Suspense } from 'react';
import { Route, Routes } from 'react-router-dom';
import { Spinner } from '../../app/ui.js';
import { RunPage } from '../runs/RunPage.js';
import { RunsPage } from '../runs/RunsPage.js';
import { PipelinesPage } from './PipelinesPage.js';

const EditorPage = lazy(() => import('../editor/EditorPage.js'));

export default function ManagerRoutes() {
  return (
    <Routes>
      <Route index element={<PipelinesPage />} />
      <Route
        path="pipelines/:id"
        element={
          <Suspense fallback={<Spinner label="Opening the editor…" />}>
            <EditorPage />
          </Suspense>
        }
      />
      <Route path="runs" element={<RunsPage />} />
      <Route path="runs/:id" element={<RunPage />} />
    </Routes>
  );
}

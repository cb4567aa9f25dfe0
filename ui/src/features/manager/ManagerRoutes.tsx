import { lazy, Suspense } from 'react';
import { Route, Routes } from 'react-router-dom';
import { Spinner } from '../../app/ui.js';
import { RunPage } from '../runs/RunPage.js';
import { RunsPage } from '../runs/RunsPage.js';
import { PipelinesPage } from './PipelinesPage.js';

const loadEditor = () => import('../editor/EditorPage.js');
const EditorPage = lazy(loadEditor);
// Opening a pipeline by its address loads the editor along with this section.
if (/^\/manager\/pipelines\//.test(window.location.pathname)) void loadEditor();

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

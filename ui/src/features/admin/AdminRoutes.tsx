import { Navigate, Route, Routes } from 'react-router-dom';

export default function AdminRoutes() {
  return (
    <Routes>
      <Route path="*" element={<Navigate to="/manager" replace />} />
    </Routes>
  );
}

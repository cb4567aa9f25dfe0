import { Route, Routes } from 'react-router-dom';

export default function ClientRoutes() {
  return (
    <Routes>
      <Route path="*" element={<p>Your results</p>} />
    </Routes>
  );
}

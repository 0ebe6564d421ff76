// The React app a newcomer writes around the README's sample (copied to src/readme/react.tsx).
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './readme/react.js';

const root = document.getElementById('root');
if (root)
  createRoot(root).render(
    <StrictMode>
      <App />
    </StrictMode>,
  );

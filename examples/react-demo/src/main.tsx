// The demo's entry: one client for the page, provided to the hooks.
import { TaskBridgeProvider } from '@taskbridge/react';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { App } from './App';
import { createDemoClient } from './config';
import './styles.css';

const client = createDemoClient();

createRoot(document.getElementById('root') as HTMLElement).render(
  <StrictMode>
    <TaskBridgeProvider client={client}>
      <App />
    </TaskBridgeProvider>
  </StrictMode>,
);

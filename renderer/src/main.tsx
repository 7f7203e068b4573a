/** The React root. */
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { getClient } from './api';
import { App } from './app/app';
import { ApiProvider } from './app/api-context';
import './styles.css';

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <ApiProvider client={getClient()}>
      <App />
    </ApiProvider>
  </StrictMode>,
);

/** The React root. */
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { Root } from './app/sign-in';
import './styles.css';

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <Root />
  </StrictMode>,
);

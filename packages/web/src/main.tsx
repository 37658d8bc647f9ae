import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';

import { createApi, createQueryClient } from './api/api';
import { App } from './app/App';
import { applyTheme, readThemeChoice } from './features/theme/theme';
import './styles/app.css';

applyTheme(readThemeChoice());

const api = createApi();
const queryClient = createQueryClient(api);
const root = document.getElementById('root');
if (root) {
  createRoot(root).render(
    <StrictMode>
      <App api={api} queryClient={queryClient} />
    </StrictMode>,
  );
}

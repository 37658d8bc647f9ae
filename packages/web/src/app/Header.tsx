import { useAuthPrompt } from '../features/auth/AuthPrompt';
import { GearIcon, KeyIcon, LogoIcon } from '../components/Icons';
import { ThemeToggle } from '../features/theme/ThemeControl';

export function Header({ view, onOpenSettings }: { view: 'chat' | 'contexts'; onOpenSettings: () => void }) {
  const openAuth = useAuthPrompt();
  return (
    <header className="app-header">
      <h1 className="app-header__title">
        <a href="#/chat">
          <LogoIcon /> <span className="brand-text">ContextPilot</span>
        </a>
      </h1>
      <nav aria-label="Views" className="app-header__nav">
        <a href="#/chat" aria-current={view === 'chat' ? 'page' : undefined}>
          Chat
        </a>
        <a href="#/contexts" aria-current={view === 'contexts' ? 'page' : undefined}>
          Contexts
        </a>
      </nav>
      <div className="app-header__actions">
        <ThemeToggle />
        <button
          type="button"
          className="icon-button"
          aria-label="Connection and API key"
          title="Connection and API key"
          onClick={() => openAuth('manual')}
        >
          <KeyIcon />
        </button>
        <button type="button" className="icon-button" aria-label="Settings" title="Settings" onClick={onOpenSettings}>
          <GearIcon />
        </button>
      </div>
    </header>
  );
}

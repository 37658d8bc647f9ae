import type { KeyboardEvent } from 'react';

export interface TabItem {
  id: string;
  label: string;
  /** Extra text for screen readers (e.g. "configured"). */
  note?: string;
  marker?: string;
}

export const tabId = (prefix: string, id: string) => `${prefix}-tab-${id}`;
export const panelId = (prefix: string, id: string) => `${prefix}-panel-${id}`;

/** An ARIA tab list: arrow keys, Home and End move between tabs. */
export function TabList({
  label,
  prefix,
  tabs,
  selected,
  onSelect,
}: {
  label: string;
  prefix: string;
  tabs: TabItem[];
  selected: string;
  onSelect: (id: string) => void;
}) {
  const onKeyDown = (event: KeyboardEvent<HTMLButtonElement>, index: number) => {
    let next = -1;
    if (event.key === 'ArrowRight') {
      next = (index + 1) % tabs.length;
    } else if (event.key === 'ArrowLeft') {
      next = (index - 1 + tabs.length) % tabs.length;
    } else if (event.key === 'Home') {
      next = 0;
    } else if (event.key === 'End') {
      next = tabs.length - 1;
    }
    const target = tabs[next];
    if (target) {
      event.preventDefault();
      onSelect(target.id);
      document.getElementById(tabId(prefix, target.id))?.focus();
    }
  };
  return (
    <div role="tablist" aria-label={label} className="tabs">
      {tabs.map((tab, index) => (
        <button
          key={tab.id}
          id={tabId(prefix, tab.id)}
          type="button"
          role="tab"
          className="tab"
          aria-selected={tab.id === selected}
          aria-controls={panelId(prefix, tab.id)}
          tabIndex={tab.id === selected ? 0 : -1}
          onClick={() => onSelect(tab.id)}
          onKeyDown={(event) => onKeyDown(event, index)}
        >
          {tab.label}
          {tab.marker ? <span aria-hidden="true"> {tab.marker}</span> : null}
          {tab.note ? <span className="visually-hidden"> ({tab.note})</span> : null}
        </button>
      ))}
    </div>
  );
}

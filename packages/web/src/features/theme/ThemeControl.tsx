import { useId } from 'react';

import { MoonIcon, SunIcon } from '../../components/Icons';
import { useMediaQuery } from '../../lib/use-media';
import { useActivityLog } from '../activity/activity-log';
import { setThemeChoice, useThemeChoice, type ThemeChoice } from './theme';

const OPTIONS: { value: ThemeChoice; label: string }[] = [
  { value: 'system', label: 'System' },
  { value: 'light', label: 'Light' },
  { value: 'dark', label: 'Dark' },
];

/** A radio group: follow the system, or always light / dark. */
export function ThemeControl() {
  const choice = useThemeChoice();
  const systemDark = useMediaQuery('(prefers-color-scheme: dark)');
  const name = useId();
  const { log } = useActivityLog();
  return (
    <fieldset className="theme-control">
      <legend>Appearance</legend>
      {OPTIONS.map((option) => (
        <label key={option.value} className="radio">
          <input
            type="radio"
            name={name}
            value={option.value}
            checked={choice === option.value}
            onChange={() => {
              setThemeChoice(option.value);
              log('user', `Appearance set to ${option.label.toLowerCase()}`);
            }}
          />
          {option.value === 'system' ? `System (${systemDark ? 'dark' : 'light'})` : option.label}
        </label>
      ))}
    </fieldset>
  );
}

/** The header's one-click switch between light and dark (an explicit choice from then on). */
export function ThemeToggle() {
  const choice = useThemeChoice();
  const systemDark = useMediaQuery('(prefers-color-scheme: dark)');
  const { log } = useActivityLog();
  const dark = choice === 'dark' || (choice === 'system' && systemDark);
  return (
    <button
      type="button"
      className="icon-button"
      aria-label="Dark mode"
      title={dark ? 'Dark mode is on' : 'Dark mode is off'}
      aria-pressed={dark}
      onClick={() => {
        setThemeChoice(dark ? 'light' : 'dark');
        log('user', dark ? 'Dark mode disabled' : 'Dark mode enabled');
      }}
    >
      {dark ? <SunIcon /> : <MoonIcon />}
    </button>
  );
}

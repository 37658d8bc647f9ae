import { act, render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';

import { ActivityLogProvider } from '../features/activity/activity-log';
import { formatDateTime, formatMessageTime } from '../lib/time';
import { NOTICE_TIMEOUT_MS, NotificationsProvider, useNotify } from './Notifications';

function Buttons() {
  const notify = useNotify();
  return (
    <>
      <button type="button" onClick={() => notify('success', 'Saved!')}>
        ok
      </button>
      <button type="button" onClick={() => notify('error', 'Broke')}>
        fail
      </button>
    </>
  );
}

describe('notifications', () => {
  it('announce in a live region; successes go away, errors stay until dismissed', async () => {
    vi.useFakeTimers();
    try {
      render(
        <ActivityLogProvider>
          <NotificationsProvider>
            <Buttons />
          </NotificationsProvider>
        </ActivityLogProvider>,
      );
      const region = screen.getByRole('region', { name: 'Notifications' });
      expect(region).toHaveAttribute('aria-live', 'polite');
      act(() => screen.getByRole('button', { name: 'ok' }).click());
      act(() => screen.getByRole('button', { name: 'fail' }).click());
      expect(screen.getByRole('status')).toHaveTextContent('Saved!');
      expect(screen.getByRole('alert')).toHaveTextContent('Broke');
      act(() => {
        vi.advanceTimersByTime(NOTICE_TIMEOUT_MS + 10);
      });
      expect(screen.queryByText('Saved!')).not.toBeInTheDocument();
      expect(screen.getByText('Broke')).toBeInTheDocument();
    } finally {
      vi.useRealTimers();
    }
    await userEvent.setup().click(screen.getByRole('button', { name: 'Dismiss notification' }));
    expect(screen.queryByText('Broke')).not.toBeInTheDocument();
  });
});

describe('times', () => {
  it('shows UTC timestamps in the given zone', () => {
    const stamp = '2026-01-02T23:30:00.000Z';
    expect(formatDateTime(stamp, 'Asia/Tokyo')).toMatch(/3/); // 08:30 on 3 Jan in Tokyo
    expect(formatDateTime(stamp, 'Asia/Tokyo')).not.toEqual(formatDateTime(stamp, 'America/New_York'));
    expect(formatMessageTime(stamp, new Date('2026-01-03T01:00:00.000Z'), 'Asia/Tokyo')).not.toMatch(/2026/);
    expect(formatMessageTime(stamp, new Date('2026-01-05T01:00:00.000Z'), 'Asia/Tokyo')).toMatch(/2026/);
    expect(formatDateTime('not a date')).toBe('');
  });
});

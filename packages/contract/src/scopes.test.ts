import { describe, expect, it } from 'vitest';

import { hasScope, isScope, missingScopeMessage, SCOPES, type Scope } from './scopes.js';

describe('hasScope', () => {
  it('allows exactly the scopes granted', () => {
    const granted: Scope[] = ['contexts:read', 'prompts'];
    for (const needed of SCOPES) {
      expect(hasScope(granted, needed), needed).toBe(needed === 'contexts:read' || needed === 'prompts');
    }
  });

  it('lets admin imply every scope, and nothing else imply admin', () => {
    for (const needed of SCOPES) {
      expect(hasScope(new Set<Scope>(['admin']), needed), needed).toBe(true);
    }
    const allButAdmin = SCOPES.filter((s) => s !== 'admin');
    expect(hasScope(allButAdmin, 'admin')).toBe(false);
  });

  it('allows nothing with no scopes, and reads any iterable once', () => {
    for (const needed of SCOPES) {
      expect(hasScope([], needed)).toBe(false);
    }
    function* once(): Generator<Scope> {
      yield 'chat';
    }
    expect(hasScope(once(), 'chat')).toBe(true);
    expect(hasScope(once(), 'settings')).toBe(false);
  });

  it('does not take contexts:write for contexts:read (write does not imply read)', () => {
    expect(hasScope(['contexts:write'], 'contexts:read')).toBe(false);
    expect(hasScope(['contexts:read'], 'contexts:write')).toBe(false);
  });
});

describe('isScope', () => {
  it('knows the listed scopes and nothing else', () => {
    for (const scope of SCOPES) {
      expect(isScope(scope)).toBe(true);
    }
    for (const value of ['Admin', 'contexts', 'contexts:*', '', 'public', 'per-tool', null, 1, ['admin']]) {
      expect(isScope(value), String(value)).toBe(false);
    }
  });
});

describe('missingScopeMessage', () => {
  it('names the scope', () => {
    expect(missingScopeMessage('contexts:write')).toBe('This API key lacks the "contexts:write" scope');
  });
});

import { describe, expect, expectTypeOf, it } from 'vitest';

import { SECURITY_EVENTS, type EventInput, type EventName, type EventOutcome } from './audit-events.js';

describe('the table of security events', () => {
  it('types each event by the outcomes listed for it', () => {
    expectTypeOf<EventName>().toEqualTypeOf<
      | 'api_key_auth'
      | 'request_signing'
      | 'api_key_rotation'
      | 'api_key_management'
      | 'host_check'
      | 'origin_check'
      | 'forbidden'
    >();
    expectTypeOf<EventOutcome<'api_key_rotation'>>().toEqualTypeOf<'success' | 'auth_disabled'>();
    expectTypeOf({ event: 'request_signing', outcome: 'replayed' } as const).toExtend<EventInput>();
    // An outcome of another event, an unknown outcome and an unknown event do not compile.
    expectTypeOf({ event: 'api_key_auth', outcome: 'replayed' } as const).not.toExtend<EventInput>();
    expectTypeOf({ event: 'api_key_rotation', outcome: 'rotated' } as const).not.toExtend<EventInput>();
    expectTypeOf({ event: 'api_key_revoked', outcome: 'success' } as const).not.toExtend<EventInput>();
    // @ts-expect-error: an outcome the event does not have
    const _crossed: EventInput = { event: 'host_check', outcome: 'cross_site' };
  });

  it('lists some outcomes for every event, each once, as snake_case names', () => {
    for (const [event, outcomes] of Object.entries(SECURITY_EVENTS)) {
      expect(event).toMatch(/^[a-z]+(_[a-z]+)*$/);
      expect(outcomes.length, event).toBeGreaterThan(0);
      expect(new Set(outcomes).size, event).toBe(outcomes.length);
      for (const outcome of outcomes) {
        expect(outcome).toMatch(/^[a-z]+(_[a-z]+)*$/);
      }
    }
  });
});

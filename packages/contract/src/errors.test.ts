import { describe, expect, it } from 'vitest';

import { ERROR_CODES, ErrorEnvelope } from './errors.js';

const body = (error_code: string) => ({ error_code, message: 'm', detail: 'm', details: {} });

describe('ErrorEnvelope', () => {
  it.each(Object.values(ERROR_CODES))('accepts the contract code %s', (code) => {
    expect(ErrorEnvelope.parse(body(code))).toEqual(body(code));
  });

  it('refuses an error_code the contract does not list', () => {
    for (const code of ['RESOURCE_NOT_FOUND', 'http_error', '']) {
      expect(ErrorEnvelope.safeParse(body(code)).success).toBe(false);
    }
  });
});

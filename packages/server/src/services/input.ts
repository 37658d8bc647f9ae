import { InputRuleError } from '../domain/unit-rules.js';
import { badRequest } from '../errors.js';

/** Runs a domain check and turns a broken input rule into a 400 with the rule's message. */
export function checked<T>(fn: () => T): T {
  try {
    return fn();
  } catch (error) {
    if (error instanceof InputRuleError) {
      throw badRequest(error.message, error.field === undefined ? {} : { field: error.field });
    }
    throw error;
  }
}

export * from './limits.js';
export * from './errors.js';
export * from './contexts.js';
export * from './prompt.js';
export * from './system.js';
export * from './security.js';
export * from './chat.js';
export * from './settings.js';

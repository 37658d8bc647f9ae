export * from './client.js';
export * from './signing.js';

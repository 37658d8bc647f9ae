export * from './client.js';
export * from './signing.js';
export * from './sse.js';

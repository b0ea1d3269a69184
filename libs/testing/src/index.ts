// Test-only helpers: real services for integration tests. Only tests and tools import this.
export { freePort } from './free-port.ts';
export { ensureImage, standInImages } from './docker-images.ts';
export { startRedis, type StartRedisOptions, type TestRedis } from './redis.ts';
export { factsAgreementCases, type FactsAgreementCase } from './facts-agreement-cases.ts';
export { parsePrometheusText, type PrometheusSample, type PrometheusScrape } from './prometheus-text.ts';

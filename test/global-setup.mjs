// Jest globalSetup: PostgreSQL, Redis and Chromium for the whole run (see scripts/test-services.mjs).
// Variables set here reach every test worker, which Jest starts after this has run.
import { provideTestServices } from '../scripts/test-services.mjs';

export default async function globalSetup() {
  const services = await provideTestServices();
  Object.assign(process.env, services.env);
  globalThis.__tokenkeepTestServices = services;
}

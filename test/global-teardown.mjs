// Jest globalTeardown: stops whatever globalSetup started, also after failed tests.
export default async function globalTeardown() {
  await globalThis.__tokenkeepTestServices?.stop();
}

import formbody from '@fastify/formbody';
import type { FastifyInstance } from 'fastify';
import { registerAdminRoutes } from './admin.routes.js';
import { registerAuthorizationRoutes } from './authorization.routes.js';
import { registerDiscoveryRoutes } from './discovery.routes.js';
import { createEmulatorContext } from './emulator-context.js';
import { registerRevokeRoutes } from './revoke.routes.js';
import { registerRiscRoutes } from './risc.routes.js';
import { registerTokeninfoRoutes } from './tokeninfo.routes.js';
import { registerTokenRoutes } from './token.routes.js';
import { registerUserinfoRoutes } from './userinfo.routes.js';
import type { EmulatorOptions } from './types.js';

const FORM_CONTENT_TYPE = 'application/x-www-form-urlencoded';

/**
 * A local stand-in for Google's OAuth 2.0 / OpenID Connect endpoints, on Google's own paths
 * below the registration prefix. Deliberately not wrapped with fastify-plugin, so `prefix` and
 * its hooks stay encapsulated.
 */
export async function googleEmulatorPlugin(
  app: FastifyInstance,
  options: EmulatorOptions,
): Promise<void> {
  const ctx = await createEmulatorContext(options);
  // Nest registers @fastify/formbody on the parent; a second parser would throw.
  if (!app.hasContentTypeParser(FORM_CONTENT_TYPE)) await app.register(formbody);
  // Requests held by a timeout fault would otherwise keep close() waiting for 30 s.
  app.addHook('preClose', (done) => {
    ctx.faults.releaseHeldRequests();
    done();
  });
  registerDiscoveryRoutes(app, ctx);
  registerAuthorizationRoutes(app, ctx);
  registerTokenRoutes(app, ctx);
  registerUserinfoRoutes(app, ctx);
  registerTokeninfoRoutes(app, ctx);
  registerRevokeRoutes(app, ctx);
  registerRiscRoutes(app, ctx);
  if (options.adminApi !== false) registerAdminRoutes(app, ctx);
}

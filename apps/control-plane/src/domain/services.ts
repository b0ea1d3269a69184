import type { Deps } from './deps.ts';
import { accountsService } from './accounts.ts';
import { auditLogService } from './audit-log.ts';
import { bindingsService } from './bindings.ts';
import { sitesService } from './sites.ts';

/** Every domain service, built once per process from the same dependencies. */
export function createServices(deps: Deps, options: { adminToken: string | undefined }) {
  return {
    accounts: accountsService(deps, options.adminToken),
    sites: sitesService(deps),
    bindings: bindingsService(deps),
    auditLog: auditLogService(deps),
  };
}

export type Services = ReturnType<typeof createServices>;

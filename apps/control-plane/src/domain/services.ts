import type { Deps } from './deps.ts';
import { accountsService } from './accounts.ts';
import { auditLogService } from './audit-log.ts';
import { bindingsService } from './bindings.ts';
import { sitesService } from './sites.ts';
import { accountCaService } from './account-ca.ts';
import { clientCertificatesService } from './client-certificates.ts';
import { customCasService } from './custom-cas.ts';
import { serverCertificatesService } from './server-certificates.ts';
import { wafRulesService } from './waf-rules.ts';
import { wafRuleTestService } from './waf-rule-test.ts';
import { fleetCaService } from './fleet-ca.ts';
import { joinTokensService } from './join-tokens.ts';
import { edgeEnrollmentService } from './edge-enrollment.ts';
import { edgeStatusRegistry } from '../discovery/edge-status.ts';

/** Every domain service, built once per process from the same dependencies. */
export function createServices(deps: Deps, options: { adminToken: string | undefined }) {
  const accountCa = accountCaService(deps);
  const fleetCa = fleetCaService(deps);
  return {
    accounts: accountsService(deps, options.adminToken),
    accountCa,
    clientCertificates: clientCertificatesService(deps, accountCa),
    customCas: customCasService(deps),
    serverCertificates: serverCertificatesService(deps),
    sites: sitesService(deps),
    bindings: bindingsService(deps),
    auditLog: auditLogService(deps),
    wafRules: wafRulesService(deps),
    wafRuleTest: wafRuleTestService(deps),
    fleetCa,
    joinTokens: joinTokensService(deps, fleetCa),
    edgeEnrollment: edgeEnrollmentService(deps, fleetCa),
    /** What this replica's discovery streams know of each edge (in memory, per replica). */
    edges: edgeStatusRegistry(deps.now),
  };
}

export type Services = ReturnType<typeof createServices>;

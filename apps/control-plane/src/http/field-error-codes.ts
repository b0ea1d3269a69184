import type { ApiErrorCode } from '../domain/api-error.ts';

/**
 * The catalogue code for a mistake in a field, by the field's name in any of the API's
 * spellings (REST `validityDays`, RPC `ValidityDays`, gRPC `validity_days`), so the same
 * mistake gets the same code on every surface. Fields not listed get `InvalidParameter`.
 */
const codesByField: ReadonlyMap<string, ApiErrorCode> = new Map<string, ApiErrorCode>([
  ['pkeytype', 'InvalidParameter.PkeyType'],
  ['validitydays', 'InvalidParameter.ValidityDays'],
  ['pagenumber', 'InvalidParameter.Paging'],
  ['pagesize', 'InvalidParameter.Paging'],
  ['page', 'InvalidParameter.Paging'],
  ['hostnames', 'InvalidParameter.Hostname'],
  ['hostname', 'InvalidParameter.Hostname'],
  ['originurl', 'InvalidParameter.OriginUrl'],
  // Names of accounts, API keys, CAs, rules and tokens; a site's name is a zone (its route
  // schema says `InvalidParameter.SiteName`).
  ['name', 'InvalidParameter.Name'],
  ['serialnumber', 'InvalidParameter.SerialNumber'],
  ['confirm', 'InvalidParameter.Confirmation'],
  ['plan', 'InvalidParameter.Plan'],
  ['customcaquota', 'InvalidParameter.Plan'],
  ['nodeid', 'InvalidParameter.NodeId'],
  ['ttlseconds', 'InvalidParameter.JoinToken'],
  ['maxuses', 'InvalidParameter.JoinToken'],
  ['pkcs12password', 'InvalidParameter.Pkcs12Password'],
]);

/** `validity_days`, `ValidityDays` and `validityDays` all become `validitydays`. */
function normalised(field: string): string {
  return field.replaceAll('_', '').toLowerCase();
}

/**
 * The code for a mistake at `path` (outermost field first, e.g. `['plan', 'customCaQuota']`
 * or `['hostnames', '3']`): the innermost field with a code of its own decides.
 */
export function fieldErrorCode(path: readonly string[]): ApiErrorCode | undefined {
  for (let i = path.length - 1; i >= 0; i--) {
    const code = codesByField.get(normalised(path[i]!));
    if (code) return code;
  }
  return undefined;
}

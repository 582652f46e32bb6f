// Reads the tenant id out of a tenant API key (`tf_<tenantId>_<secret>`), so the console knows
// which tenant to show. It never validates the key: only the server can.
const TENANT_KEY = /^tf_([a-z0-9-]+)_./;

export function tenantIdOfKey(token: string): string | undefined {
  return TENANT_KEY.exec(token)?.[1];
}

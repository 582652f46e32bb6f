// Who is signed in: the token lives in sessionStorage only (gone when the tab closes, never in a
// URL), and the role is found by asking the API, never by trusting what the token looks like.
import { ApiError, apiClient, type ApiClient } from './api-client.js';
import type { TenantDetail, TenantSummary } from './api-types.js';
import { tenantIdOfKey } from './tenant-key.js';

const STORAGE_KEY = 'thumbforge.token';

export type Session =
  | { role: 'operator'; client: ApiClient }
  | { role: 'tenant'; client: ApiClient; tenant: TenantDetail };

export function storedToken(): string | undefined {
  return sessionStorage.getItem(STORAGE_KEY) ?? undefined;
}

export function forgetToken(): void {
  sessionStorage.removeItem(STORAGE_KEY);
}

/**
 * Checks the token against the API and keeps it when accepted. A key shaped like a tenant key is
 * tried as that tenant first, so a tenant never triggers a 403 from the admin-only tenant list.
 */
export async function signIn(token: string): Promise<Session> {
  const client = apiClient(token);
  const tenantId = tenantIdOfKey(token);
  const session: Session =
    tenantId === undefined
      ? await operatorSession(client)
      : await tenantSession(client, tenantId).catch(async (error: unknown) => {
          if (error instanceof ApiError && (error.status === 401 || error.status === 403)) return operatorSession(client);
          throw error;
        });
  sessionStorage.setItem(STORAGE_KEY, token);
  return session;
}

async function operatorSession(client: ApiClient): Promise<Session> {
  await client.get<{ tenants: TenantSummary[] }>('/tenants');
  return { role: 'operator', client };
}

async function tenantSession(client: ApiClient, tenantId: string): Promise<Session> {
  const tenant = await client.get<TenantDetail>(`/tenants/${encodeURIComponent(tenantId)}`);
  return { role: 'tenant', client, tenant };
}

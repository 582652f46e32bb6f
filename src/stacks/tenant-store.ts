// The tenant and operation records the service keeps, behind an interface so a shared database
// can replace the embedded SQLite store when several replicas run. It holds records only:
// it never talks to the engine and never decides a tenant's status.
import type { Operation, OperationEvent, Tenant } from './tenant-service-types.js';

export type TenantChanges = Partial<Pick<Tenant, 'status' | 'settings' | 'outputs' | 'lastOperationId'>>;
export type OperationChanges = Partial<Pick<Operation, 'status' | 'startedAt' | 'finishedAt' | 'error'>>;

export interface TenantStore {
  /** Inserts the tenant and its first operation atomically; false (nothing written) if the id exists. */
  insertTenant(tenant: Tenant, operation: Operation): boolean;
  getTenant(id: string): Tenant | undefined;
  listTenants(): Tenant[];
  updateTenant(id: string, changes: TenantChanges): void;
  /** Removes the tenant record; its operations and their events stay for replay. */
  deleteTenant(id: string): void;
  /** Inserts the operation and makes it the tenant's last one, in one transaction. */
  insertOperation(operation: Operation, tenantChanges: TenantChanges): void;
  getOperation(id: string): Operation | undefined;
  updateOperation(id: string, changes: OperationChanges): void;
  operationsWithStatus(statuses: Operation['status'][]): Operation[];
  /** Stores the event with the next sequence number of its operation. */
  appendEvent(operationId: string, event: Record<string, unknown>): OperationEvent;
  eventsAfter(operationId: string, afterSeq: number): OperationEvent[];
  close(): void;
}

// What a tenant stack gives back: its outputs after `up` and refresh, the plan a preview shows,
// and what a drift check found. Plain shapes, so nothing outside src/stacks needs a Pulumi type.

export type TenantOutputs = {
  bucket: string;
  bucketArn: string;
  functionName: string;
  functionArn: string;
  region: string;
};

export type PreviewResult = {
  changes: { create: number; update: number; delete: number; same: number };
  steps: Array<{ op: string; type: string; name: string; urn: string }>;
};

/** A resource whose cloud side differs from the stack's state: changed (`update`) or gone (`delete`). */
export type DriftChange = { op: string; type: string; name: string };

/** What a refresh preview found; no change means the stack is in sync with its resources. */
export type DriftReport = { changes: DriftChange[] };

// What a tenant stack gives back: its outputs after `up` and refresh, and the plan a preview
// shows. Plain shapes, so nothing outside src/stacks needs a Pulumi type.

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

// The service's schema, as an ordered list of migrations (kept in TypeScript, so tsx and the
// compiled dist/ read the same list and no build step copies .sql files). Append only: never edit
// or renumber a migration that has shipped; a change is a new one.
export type Migration = { version: number; name: string; sql: string };

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'tenants',
    sql: `
      CREATE TABLE tenants (id text PRIMARY KEY, status text NOT NULL, settings jsonb NOT NULL, settings_version integer NOT NULL DEFAULT 1, applied_settings_version integer, outputs jsonb, stack_settings jsonb, drift jsonb, created_at timestamptz NOT NULL DEFAULT now(), updated_at timestamptz NOT NULL DEFAULT now(), last_operation_id text);
      CREATE TABLE tenant_keys (id text PRIMARY KEY, tenant_id text NOT NULL REFERENCES tenants(id) ON DELETE CASCADE, hash text NOT NULL UNIQUE, prefix text NOT NULL, created_at timestamptz NOT NULL DEFAULT now(), last_used_at timestamptz, revoked_at timestamptz);
      CREATE INDEX tenant_keys_by_tenant ON tenant_keys (tenant_id, created_at);
      CREATE TABLE operations (id text PRIMARY KEY, tenant_id text NOT NULL, kind text NOT NULL, status text NOT NULL, settings_version integer, created_at timestamptz NOT NULL DEFAULT now(), started_at timestamptz, finished_at timestamptz, attempt integer NOT NULL DEFAULT 0, fencing_token integer NOT NULL DEFAULT 0, owner_replica text, owner_host text, job_id text, error text);
      CREATE INDEX operations_by_tenant ON operations (tenant_id, created_at DESC, id DESC);
      CREATE INDEX operations_by_status ON operations (status) WHERE status IN ('queued', 'running');
      CREATE TABLE operation_events (operation_id text NOT NULL, seq integer NOT NULL, at timestamptz NOT NULL DEFAULT now(), event jsonb NOT NULL, PRIMARY KEY (operation_id, seq));
    `,
  },
  {
    version: 2,
    name: 'key prefixes show six random characters',
    // The first prefixes ran to the key's last "_", which its random part may hold: cut each to
    // `tf_<tenantId>_` and six characters, as every new key's is.
    sql: `UPDATE tenant_keys SET prefix = substring(prefix FROM '^(tf_[a-z0-9-]+_.{0,6})') WHERE prefix ~ '^tf_[a-z0-9-]+_';`,
  },
  {
    version: 3,
    name: 'operation cancel requests',
    // Set by a cancel of a running operation; the attempt running it sees it and ends the engine run.
    sql: 'ALTER TABLE operations ADD COLUMN cancel_requested_at timestamptz;',
  },
  {
    version: 4,
    name: 'the video catalog',
    // Videos and their thumbnails as records, written from object events (src/catalog). A deleted
    // video keeps its row as a tombstone (deleted_at) so late events for it are recognised; reads
    // see only rows without one. recorded_at is when the row was written, which the reconcile
    // compares with the start of its listing. Ids are ULIDs: newest first is id order.
    sql: `
      CREATE TABLE videos (
        tenant_id text NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
        id text NOT NULL,
        name text NOT NULL,
        key text NOT NULL,
        status text NOT NULL CHECK (status IN ('pending', 'ready', 'failed')),
        size bigint NOT NULL,
        content_type text NOT NULL,
        created_at timestamptz NOT NULL,
        ready_at timestamptz,
        duration_seconds double precision,
        width integer,
        height integer,
        codec text,
        error text,
        output_format text,
        output_widths jsonb,
        poster_at_seconds double precision,
        poster_score double precision,
        storyboard_sheets integer,
        has_preview boolean NOT NULL DEFAULT false,
        deleted_at timestamptz,
        recorded_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (tenant_id, id)
      );
      CREATE INDEX videos_newest_first ON videos (tenant_id, id DESC) WHERE deleted_at IS NULL;
      CREATE INDEX videos_by_status ON videos (tenant_id, status, id DESC) WHERE deleted_at IS NULL;
      CREATE INDEX videos_tombstones ON videos (deleted_at) WHERE deleted_at IS NOT NULL;
      CREATE TABLE thumbnails (
        tenant_id text NOT NULL REFERENCES tenants(id) ON DELETE CASCADE,
        key text NOT NULL,
        video_id text NOT NULL,
        width integer NOT NULL,
        size bigint NOT NULL,
        created_at timestamptz NOT NULL,
        recorded_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (tenant_id, key)
      );
      CREATE INDEX thumbnails_by_video ON thumbnails (tenant_id, video_id);
      CREATE INDEX tenants_by_bucket ON tenants ((outputs->>'bucket'));
    `,
  },
  {
    version: 5,
    name: 'webhook endpoints, deliveries and their attempts',
    // An endpoint's secret is kept encrypted (it must be read back to sign); event_types null means
    // every type. A delivery's id is the message's webhook-id; job_id is the job now carrying it (a
    // redelivery replaces it). Deleting a tenant removes its endpoints, which remove their deliveries.
    sql: `
      CREATE TABLE webhook_endpoints (id text PRIMARY KEY, tenant_id text NOT NULL REFERENCES tenants(id) ON DELETE CASCADE, url text NOT NULL, event_types jsonb, secret_ciphertext text NOT NULL, created_at timestamptz NOT NULL DEFAULT now());
      CREATE INDEX webhook_endpoints_by_tenant ON webhook_endpoints (tenant_id, id DESC);
      CREATE TABLE webhook_deliveries (id text PRIMARY KEY, endpoint_id text NOT NULL REFERENCES webhook_endpoints(id) ON DELETE CASCADE, tenant_id text NOT NULL, event_type text NOT NULL, payload text NOT NULL, status text NOT NULL, attempts integer NOT NULL DEFAULT 0, last_response_status integer, last_error text, job_id text, created_at timestamptz NOT NULL DEFAULT now(), delivered_at timestamptz, failed_at timestamptz);
      CREATE INDEX webhook_deliveries_by_endpoint ON webhook_deliveries (endpoint_id, id DESC);
      CREATE TABLE webhook_delivery_attempts (delivery_id text NOT NULL REFERENCES webhook_deliveries(id) ON DELETE CASCADE, attempt integer NOT NULL, started_at timestamptz NOT NULL, duration_ms integer NOT NULL, response_status integer, error text, PRIMARY KEY (delivery_id, attempt));
    `,
  },
  {
    version: 6,
    name: 'direct uploads',
    // One row per POST /uploads: its staged multipart upload (object_key, multipart_upload_id, null
    // until the store answered), then the video it became (video_key, size, content_type).
    // The partial index serves the per-tenant cap on open uploads.
    sql: `
      CREATE TABLE uploads (id text PRIMARY KEY, tenant_id text NOT NULL REFERENCES tenants(id) ON DELETE CASCADE, video_id text NOT NULL UNIQUE, object_key text NOT NULL, file_name text NOT NULL, declared_size bigint NOT NULL, part_size bigint NOT NULL, frame_at text, multipart_upload_id text, status text NOT NULL CHECK (status IN ('open', 'completed', 'aborted')), video_key text, size bigint, content_type text, created_at timestamptz NOT NULL DEFAULT now(), expires_at timestamptz NOT NULL, finished_at timestamptz);
      CREATE INDEX uploads_open_by_tenant ON uploads (tenant_id, expires_at) WHERE status = 'open';
    `,
  },
  {
    version: 7,
    name: 'image rollouts',
    // A rollout's tenants, each with the up that brings it the new image (or why it was left out).
    sql: `
      CREATE TABLE rollouts (id text PRIMARY KEY, concurrency integer NOT NULL, created_at timestamptz NOT NULL DEFAULT now(), finished_at timestamptz);
      CREATE TABLE rollout_tenants (rollout_id text NOT NULL REFERENCES rollouts(id) ON DELETE CASCADE, tenant_id text NOT NULL, operation_id text, skipped text, PRIMARY KEY (rollout_id, tenant_id));
    `,
  },
  {
    version: 8,
    name: 'video regenerations',
    // The regeneration (POST /videos/:id/regenerate) whose run the video waits for, or last had:
    // null for the upload's own run. meta.json and error.json name their run's, and count only
    // when it is this one, so an outcome of an earlier run never ends a later one.
    sql: 'ALTER TABLE videos ADD COLUMN regeneration text;',
  },
  {
    version: 9,
    name: 'read change notices',
    // A notice on channel thumbforge_reads, carrying the tenant's id, for every change to what the
    // cached read routes answer: a tenant, its keys' validity, its videos and thumbnails. Replicas
    // drop their cached answers for that tenant (src/server/read-cache.ts). NOTIFY is sent at
    // commit, once per distinct tenant in a transaction. A key's last use is not a change.
    sql: `
      CREATE FUNCTION thumbforge_read_changed() RETURNS trigger LANGUAGE plpgsql AS $$
      DECLARE changed jsonb;
      BEGIN
        IF TG_OP = 'DELETE' THEN changed := to_jsonb(OLD); ELSE changed := to_jsonb(NEW); END IF;
        PERFORM pg_notify('thumbforge_reads', changed ->> TG_ARGV[0]);
        RETURN NULL;
      END $$;
      CREATE TRIGGER tenants_read_changed AFTER UPDATE OR DELETE ON tenants
        FOR EACH ROW EXECUTE FUNCTION thumbforge_read_changed('id');
      CREATE TRIGGER tenant_keys_read_changed AFTER UPDATE OF hash, revoked_at, tenant_id OR DELETE ON tenant_keys
        FOR EACH ROW EXECUTE FUNCTION thumbforge_read_changed('tenant_id');
      CREATE TRIGGER videos_read_changed AFTER INSERT OR UPDATE OR DELETE ON videos
        FOR EACH ROW EXECUTE FUNCTION thumbforge_read_changed('tenant_id');
      CREATE TRIGGER thumbnails_read_changed AFTER INSERT OR UPDATE OR DELETE ON thumbnails
        FOR EACH ROW EXECUTE FUNCTION thumbforge_read_changed('tenant_id');
    `,
  },
];

// The local target's tenant program: bucket (with the console's CORS rule), function registration
// and trigger as Pulumi dynamic resources against the local object store and function runner. Provider methods are serialized
// into the engine's provider process, so they capture only the actions module's URL (a string)
// and import it there; never capture a client, a path helper or any other module-level object.
import { extname } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as pulumi from '@pulumi/pulumi';
import type { ThumbnailSettings } from '../domain/thumbnail-settings.js';
import type { TenantOutputs } from './tenant-outputs.js';
import { bucketName, functionName } from './tenant-resource-names.js';
import { OBJECT_CREATED_EVENTS, videoTriggerFilters } from './trigger-filters.js';
import { THUMBNAILER_MEMORY_MB, THUMBNAILER_TIMEOUT_SECONDS } from './thumbnailer-function.js';

type Actions = typeof import('./local-cloud-actions.js');

// `.ts` under tsx, `.js` once compiled: the sibling module in the same form as this one.
const ACTIONS_URL = new URL(`./local-cloud-actions${extname(fileURLToPath(import.meta.url))}`, import.meta.url).href;

/** Local stand-ins for the account id in ARNs, so outputs have the aws program's shape. */
const LOCAL_ACCOUNT_ID = '000000000000';

const bucketProvider: pulumi.dynamic.ResourceProvider = {
  async create(inputs) {
    const actions: Actions = await import(ACTIONS_URL);
    await actions.createBucket(inputs.name);
    if (inputs.corsOrigins.length > 0) await actions.setBucketCors(inputs.name, inputs.corsOrigins);
    return { id: inputs.name, outs: actions.bucketState(inputs.name, inputs.corsOrigins) };
  },
  async diff(_id, olds, news) {
    const replace = olds.name !== news.name;
    // The CORS rule changes in place, as an aws.s3.BucketCorsConfiguration does.
    const corsChanged = JSON.stringify(olds.corsOrigins ?? []) !== JSON.stringify(news.corsOrigins ?? []);
    return { changes: replace || corsChanged, replaces: replace ? ['name'] : [], deleteBeforeReplace: true };
  },
  async update(_id, _olds, news) {
    const actions: Actions = await import(ACTIONS_URL);
    await actions.setBucketCors(news.name, news.corsOrigins);
    return { outs: actions.bucketState(news.name, news.corsOrigins) };
  },
  async read(id) {
    const actions: Actions = await import(ACTIONS_URL);
    // The bucket's state is its name (its id) and its CORS origins. No id tells refresh it is gone,
    // so the state stops claiming it (and the next `up` creates it again).
    if (!(await actions.bucketExists(id))) return {};
    return { id, props: actions.bucketState(id, await actions.bucketCorsOrigins(id)) };
  },
  async delete(_id, props) {
    const actions: Actions = await import(ACTIONS_URL);
    await actions.deleteBucket(props.name);
  },
};

const functionProvider: pulumi.dynamic.ResourceProvider = {
  async create(inputs) {
    const actions: Actions = await import(ACTIONS_URL);
    await actions.saveFunction(inputs);
    return { id: inputs.name, outs: inputs };
  },
  async diff(_id, olds, news) {
    const actions: Actions = await import(ACTIONS_URL);
    const replace = olds.name !== news.name;
    // Settings and limits change in place, like a Lambda's configuration.
    const changed = JSON.stringify(actions.functionRegistration(olds)) !== JSON.stringify(actions.functionRegistration(news));
    return { changes: replace || changed, replaces: replace ? ['name'] : [] };
  },
  async update(_id, _olds, news) {
    const actions: Actions = await import(ACTIONS_URL);
    await actions.saveFunction(news);
    return { outs: news };
  },
  async read(id) {
    const actions: Actions = await import(ACTIONS_URL);
    // What the runner really has registered, so a changed or missing registration shows as drift.
    const registration = await actions.readFunction(id);
    return registration ? { id, props: { ...registration } } : {};
  },
  async delete(_id, props) {
    const actions: Actions = await import(ACTIONS_URL);
    await actions.removeFunction(props.name);
  },
};

const triggerProvider: pulumi.dynamic.ResourceProvider = {
  async create(inputs) {
    const actions: Actions = await import(ACTIONS_URL);
    await actions.saveTrigger(inputs);
    return { id: inputs.bucket, outs: inputs };
  },
  async diff(_id, olds, news) {
    const actions: Actions = await import(ACTIONS_URL);
    const replace = olds.bucket !== news.bucket;
    const changed = JSON.stringify(actions.triggerRegistration(olds)) !== JSON.stringify(actions.triggerRegistration(news));
    return { changes: replace || changed, replaces: replace ? ['bucket'] : [], deleteBeforeReplace: true };
  },
  async update(_id, _olds, news) {
    const actions: Actions = await import(ACTIONS_URL);
    await actions.saveTrigger(news);
    return { outs: news };
  },
  async read(id) {
    const actions: Actions = await import(ACTIONS_URL);
    const registration = await actions.readTrigger(id);
    return registration ? { id, props: { ...registration } } : {};
  },
  async delete(_id, props) {
    const actions: Actions = await import(ACTIONS_URL);
    await actions.removeTrigger(props.bucket);
  },
};

type Inputs<T> = { [K in keyof T]: pulumi.Input<T[K]> };

class LocalBucket extends pulumi.dynamic.Resource {
  declare readonly name: pulumi.Output<string>;
  constructor(name: string, args: Inputs<{ name: string; corsOrigins: string[] }>, opts?: pulumi.CustomResourceOptions) {
    super(bucketProvider, name, args, opts, 'thumbforge', 'LocalBucket');
  }
}

class LocalFunction extends pulumi.dynamic.Resource {
  declare readonly name: pulumi.Output<string>;
  constructor(
    name: string,
    args: Inputs<{ name: string; bucket: string; settings: ThumbnailSettings; timeoutSeconds: number; memoryMb: number }>,
    opts?: pulumi.CustomResourceOptions,
  ) {
    super(functionProvider, name, args, opts, 'thumbforge', 'LocalFunction');
  }
}

class LocalTrigger extends pulumi.dynamic.Resource {
  constructor(
    name: string,
    args: Inputs<{ bucket: string; functionName: string; events: string[]; filters: Array<{ prefix: string; suffix: string }> }>,
    opts?: pulumi.CustomResourceOptions,
  ) {
    super(triggerProvider, name, args, opts, 'thumbforge', 'LocalTrigger');
  }
}

export type LocalTenantProgramInput = {
  tenantId: string;
  settings: ThumbnailSettings;
  region: string;
  /** The origins the bucket's CORS rule admits (none: no rule). */
  consoleOrigins?: string[];
};

export function localTenantProgram({ tenantId, settings, region, consoleOrigins = [] }: LocalTenantProgramInput) {
  return async (): Promise<{ [K in keyof TenantOutputs]: pulumi.Output<string> }> => {
    const bucket = new LocalBucket('bucket', { name: bucketName(tenantId), corsOrigins: consoleOrigins });
    const thumbnailer = new LocalFunction('function', {
      name: functionName(tenantId),
      bucket: bucket.name,
      settings,
      timeoutSeconds: THUMBNAILER_TIMEOUT_SECONDS,
      memoryMb: THUMBNAILER_MEMORY_MB,
    });
    new LocalTrigger('trigger', {
      bucket: bucket.name,
      functionName: thumbnailer.name,
      events: OBJECT_CREATED_EVENTS,
      filters: videoTriggerFilters(),
    });
    return {
      bucket: bucket.name,
      bucketArn: pulumi.interpolate`arn:aws:s3:::${bucket.name}`,
      functionName: thumbnailer.name,
      functionArn: pulumi.interpolate`arn:aws:lambda:${region}:${LOCAL_ACCOUNT_ID}:function:${thumbnailer.name}`,
      region: pulumi.output(region),
    };
  };
}

// `npm run platform -- [preview|up]`: runs the platform stack (the thumbnailer image in ECR and the
// catalog events queue named by THUMBFORGE_EVENTS_QUEUE_URL) on the
// aws target with the service's own environment. Needs AWS credentials and a Docker daemon.
// It never touches a tenant stack.
import { ConfigError, loadConfig } from '../src/config.js';
import { awsTargetOf } from '../src/service.js';
import { previewPlatform, upPlatform } from '../src/stacks/index.js';

const PLATFORM_TIMEOUT_MS = 60 * 60 * 1000;

async function main(): Promise<void> {
  const action = process.argv[2] ?? 'preview';
  if (action !== 'preview' && action !== 'up') throw new ConfigError(`usage: npm run platform -- preview|up (got "${action}")`);
  const config = loadConfig({ ...process.env, THUMBFORGE_TARGET: 'aws' });
  const target = awsTargetOf(config);
  const options = {
    signal: AbortSignal.timeout(PLATFORM_TIMEOUT_MS),
    onEvent: (event: { diagnosticEvent?: { message: string } }) => {
      if (event.diagnosticEvent) process.stdout.write(event.diagnosticEvent.message);
    },
  };
  if (action === 'preview') {
    console.log(JSON.stringify(await previewPlatform(target, config.dataDir, options)));
  } else {
    const { imageUri, eventsQueueUrl } = await upPlatform(target, config.dataDir, options);
    console.log(`thumbnailer image: ${imageUri}\ntenant stacks reference it through the platform stack; or set THUMBFORGE_IMAGE_URI=${imageUri}`);
    console.log(`catalog events queue: ${eventsQueueUrl} (THUMBFORGE_EVENTS_QUEUE_URL)`);
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof ConfigError ? error.message : error);
  process.exit(1);
});

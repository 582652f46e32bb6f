// The shared platform program: builds the thumbnailer image (src/lambda-image/Dockerfile) once and
// pushes it to ECR. Tenant stacks only reference its output; nothing per tenant may build an image.
// The image copies the compiled handler, so `npm run build` runs before this program.
import { join } from 'node:path';
import { projectRoot } from '../domain/toolchain.js';

export const PLATFORM_PROJECT = 'thumbforge-platform';
/** The repository's fixed name: the one docs/service-iam-policy.json grants (IMAGE_REPOSITORY in docs/aws.md). */
export const THUMBNAILER_REPOSITORY = 'thumbforge-thumbnailer';
export const PLATFORM_IMAGE_OUTPUT = 'imageUri';

/** The build context is the repository root: the image takes dist/ and the handler's manifest from it. */
export const LAMBDA_IMAGE_CONTEXT = projectRoot;
export const LAMBDA_IMAGE_DOCKERFILE = join(projectRoot, 'src', 'lambda-image', 'Dockerfile');

export function platformProgram() {
  return async () => {
    // Loaded by the engine run, never by a replica that only references the image.
    const awsx = await import('@pulumi/awsx');
    // Every push gets a tag of its own that can never move (awsx tags each build uniquely), and no
    // lifecycle policy expires images: a tenant not yet rolled out still runs the one it references.
    // Nor does deleting this stack delete images (no forceDelete): remove old ones by hand once no
    // tenant references them (after a rollout, POST /rollouts).
    const repository = new awsx.ecr.Repository('thumbnailer', {
      name: THUMBNAILER_REPOSITORY,
      imageTagMutability: 'IMMUTABLE',
      imageScanningConfiguration: { scanOnPush: true },
      lifecyclePolicy: { skip: true },
      forceDelete: false,
    });
    const image = new awsx.ecr.Image('thumbnailer', {
      repositoryUrl: repository.url,
      context: LAMBDA_IMAGE_CONTEXT,
      dockerfile: LAMBDA_IMAGE_DOCKERFILE,
      platform: 'linux/amd64',
    });
    return { [PLATFORM_IMAGE_OUTPUT]: image.imageUri };
  };
}

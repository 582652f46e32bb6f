// The shared platform program: builds the thumbnailer image (src/lambda-image/Dockerfile) once and
// pushes it to ECR. Tenant stacks only reference its output; nothing per tenant may build an image.
// The image copies the compiled handler, so `npm run build` runs before this program.
import { join } from 'node:path';
import { projectRoot } from '../domain/toolchain.js';

export const PLATFORM_PROJECT = 'thumbforge-platform';
export const PLATFORM_IMAGE_OUTPUT = 'imageUri';

/** The build context is the repository root: the image takes dist/ and the handler's manifest from it. */
export const LAMBDA_IMAGE_CONTEXT = projectRoot;
export const LAMBDA_IMAGE_DOCKERFILE = join(projectRoot, 'src', 'lambda-image', 'Dockerfile');

export function platformProgram() {
  return async () => {
    // Loaded by the engine run, never by a replica that only references the image.
    const awsx = await import('@pulumi/awsx');
    const repository = new awsx.ecr.Repository('thumbnailer', { forceDelete: true });
    const image = new awsx.ecr.Image('thumbnailer', {
      repositoryUrl: repository.url,
      context: LAMBDA_IMAGE_CONTEXT,
      dockerfile: LAMBDA_IMAGE_DOCKERFILE,
      platform: 'linux/amd64',
    });
    return { [PLATFORM_IMAGE_OUTPUT]: image.imageUri };
  };
}

// The shared platform program: builds the thumbnailer image from src/lambda-image once and pushes
// it to ECR. Tenant stacks only reference its output; nothing per tenant may build an image.
import { fileURLToPath } from 'node:url';
import * as awsx from '@pulumi/awsx';

export const PLATFORM_PROJECT = 'thumbforge-platform';
export const PLATFORM_IMAGE_OUTPUT = 'imageUri';

/** The Docker build context (its Dockerfile is the Lambda image's). */
export const LAMBDA_IMAGE_CONTEXT = fileURLToPath(new URL('../lambda-image', import.meta.url));

export function platformProgram() {
  return async () => {
    const repository = new awsx.ecr.Repository('thumbnailer', { forceDelete: true });
    const image = new awsx.ecr.Image('thumbnailer', {
      repositoryUrl: repository.url,
      context: LAMBDA_IMAGE_CONTEXT,
      platform: 'linux/amd64',
    });
    return { [PLATFORM_IMAGE_OUTPUT]: image.imageUri };
  };
}

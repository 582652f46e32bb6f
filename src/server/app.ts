// The composition root of the HTTP app: external plugins, then the app's own plugins, then one
// route plugin per resource. It builds the app; it never starts engines or stores itself.
import Fastify, { type FastifyInstance } from 'fastify';
import { serializerCompiler, validatorCompiler, type ZodTypeProvider } from '@fastify/type-provider-zod';
import type { Config } from '../config.js';
import problemErrors from './plugins/problem-errors.js';
import openapi from './plugins/openapi.js';
import healthRoutes from './routes/health/index.js';
import { loggerOptions } from './logger.js';

export type AppDependencies = {
  config: Config;
  logLevel?: string;
};

export async function buildApp(deps: AppDependencies): Promise<FastifyInstance> {
  const app = Fastify({
    logger: loggerOptions(deps.logLevel),
    requestIdHeader: 'x-request-id',
    genReqId: () => crypto.randomUUID(),
    disableRequestLogging: false,
    bodyLimit: 64 * 1024,
  }).withTypeProvider<ZodTypeProvider>();
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);

  await app.register(problemErrors);
  await app.register(openapi);
  await app.register(healthRoutes);
  return app;
}

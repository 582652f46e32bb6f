// The routes' response serializer (zod's: checks the answer against the route's schema, then
// JSON), made once per frozen answer: an answer the read cache hands out again is the same frozen
// object, so it gets the string made the first time. It never reuses a string for an object that
// can still change (anything not frozen is serialized anew).
import { serializerCompiler } from '@fastify/type-provider-zod';

export const frozenAnswerSerializerCompiler: typeof serializerCompiler = (route) => {
  const serialize = serializerCompiler(route);
  const made = new WeakMap<object, string>();
  return (data) => {
    if (typeof data !== 'object' || data === null || !Object.isFrozen(data)) return serialize(data);
    let json = made.get(data);
    if (json === undefined) made.set(data, (json = serialize(data)));
    return json;
  };
};

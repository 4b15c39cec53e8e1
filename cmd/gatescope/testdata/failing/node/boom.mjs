import { greet } from './lib/greet.mjs';

// Boom throws from a helper module: the stack's first frame of the
// function's own code is lib/greet.mjs, not the runtime's.
export const handler = async event => ({ statusCode: 200, body: greet(event.queryStringParameters) });

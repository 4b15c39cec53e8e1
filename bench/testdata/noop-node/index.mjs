// The benchmark handler in Node.js: no work, so a round trip through it
// measures gatescope and its runtime client.
export const handler = async () => ({ statusCode: 200, body: 'ok' });

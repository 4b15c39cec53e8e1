// Echoes what an authorized function received: the authorizer context and
// the caller's identity, as a deployed function reads them.
exports.handler = async (event) => ({
  statusCode: 200,
  headers: { "content-type": "application/json" },
  body: JSON.stringify({
    authorizer: event.requestContext.authorizer ?? null,
    identity: event.requestContext.identity ?? null,
  }),
});

// Echoes what a test needs to see of the event and the environment.
exports.handler = async (event) => ({
  statusCode: 200,
  headers: { "content-type": "application/json" },
  body: JSON.stringify({
    fn: process.env.AWS_LAMBDA_FUNCTION_NAME,
    resource: event.resource ?? null,
    routeKey: event.routeKey ?? null,
    path: event.path ?? event.rawPath,
    params: event.pathParameters ?? null,
    operationName: event.requestContext.operationName ?? null,
    stage: event.requestContext.stage,
    vars: event.stageVariables ?? null,
    env: { TABLE: process.env.TABLE ?? null, QUEUE_ARN: process.env.QUEUE_ARN ?? null, STAGE: process.env.STAGE ?? null },
  }),
});

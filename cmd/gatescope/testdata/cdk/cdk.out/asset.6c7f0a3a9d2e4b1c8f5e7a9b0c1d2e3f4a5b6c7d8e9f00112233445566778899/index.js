// The CDK app's handler, as `cdk synth` stages it in its asset directory.
exports.handler = async (event) => ({
  statusCode: 200,
  headers: { "content-type": "application/json" },
  body: JSON.stringify({
    from: "cdk",
    greeting: process.env.GREETING,
    resource: event.resource ?? null,
    routeKey: event.routeKey ?? null,
    params: event.pathParameters ?? null,
    stage: event.requestContext.stage,
  }),
});

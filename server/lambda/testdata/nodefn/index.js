exports.handler = async (event, context) => {
  console.log("node got", JSON.stringify(event));
  if (event.fail) throw new TypeError(event.fail);
  return { echo: event.echo, requestId: context.awsRequestId, fn: process.env.AWS_LAMBDA_FUNCTION_NAME };
};

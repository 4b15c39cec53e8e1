exports.handler = async (event) => {
  console.log("echo", event.pathParameters.n);
  return { statusCode: 200, body: "echo " + event.pathParameters.n };
};

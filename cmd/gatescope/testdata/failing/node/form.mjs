// Form parses its body as JSON. An HTTP API sends a form post base64
// encoded (isBase64Encoded: true), so JSON.parse fails on it.
export const handler = async event => {
  const data = JSON.parse(event.body);
  return { statusCode: 200, body: JSON.stringify(data) };
};
